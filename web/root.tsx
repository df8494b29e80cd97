import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError, useRouteLoaderData } from '@remix-run/react';
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import './load-context.js';
import stylesUrl from './styles.css?url';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesUrl }];
export const meta: MetaFunction = () => [{ title: '随访管理平台' }];

/** The response's CSP nonce, for the inline scripts Remix writes into the page. */
export const loader = ({ context }: LoaderFunctionArgs) => ({ nonce: context.nonce });

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useRouteLoaderData<typeof loader>('root')?.nonce;
  return (
    <html lang="zh-CN">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

const STATUS_TEXT: Record<number, string> = { 401: '请先登录', 403: '无权访问', 404: '页面或记录不存在' };

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const detail = isRouteErrorResponse(error) && typeof error.data === 'string' ? error.data : null;
  return (
    <main className="error-page">
      <h1>
        {status} · {STATUS_TEXT[status] ?? '出错了'}
      </h1>
      {detail && <p>{detail}</p>}
      <p>
        <a href="/">返回首页</a>
      </p>
    </main>
  );
}
