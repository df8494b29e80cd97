/**
 * One ECharts chart in the browser (canvas). ECharts is loaded on the client only, after the page
 * is shown, and the chart follows its box's size. The option comes from domain/reports/charts.ts,
 * the same builder the PDF uses.
 */
import type { EChartsCoreOption } from 'echarts';
import { useEffect, useRef } from 'react';

export function EChart({ option, label, height = 260 }: { option: EChartsCoreOption; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    void import('echarts').then((echarts) => {
      if (disposed || !box.current) return;
      const chart = echarts.init(box.current, null, { renderer: 'canvas' });
      chart.setOption(option);
      const observer = new ResizeObserver(() => chart.resize());
      observer.observe(box.current);
      cleanup = () => {
        observer.disconnect();
        chart.dispose();
      };
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [option]);
  return <div ref={box} className="chart" role="img" aria-label={label} style={{ height }} />;
}
