/**
 * /print/patients/<id>/wechat-qr — 微信绑定二维码, printable (A4 or a label printer) for the
 * discharge or to staple to the discharge summary. The code is a WeChat parametrised QR code whose
 * scan follows the hospital's Official Account and binds the patient's WeChat (services/wechat-binding.ts).
 * Outside the portal layout so the printout carries nothing but the code and its instructions.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useParams } from '@remix-run/react';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '微信绑定二维码 · 随访管理平台' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return orRespond(context.services.wechatBinding.bindingQr(user, params.id!, context.meta));
}

const day = (iso: string) => new Date(iso).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });

export default function WechatQrPrint() {
  const qr = useLoaderData<typeof loader>();
  const { id } = useParams();
  return (
    <main className="print-sheet">
      <nav className="no-print">
        <button type="button" onClick={() => window.print()}>
          打印
        </button>{' '}
        <Link to={`/patients/${id}`}>返回患者页</Link>
      </nav>
      <h1>微信扫码 · 接收出院随访</h1>
      <p className="print-who">
        {qr.patientName}
        {qr.departmentName ? ` · ${qr.departmentName}` : ''}
        {qr.dischargedAt ? ` · ${day(qr.dischargedAt)}出院` : ''}
      </p>
      {qr.bound && <p className="print-note">该患者已绑定微信;重新扫码将改为扫码人的微信。</p>}
      <div className="print-qr" role="img" aria-label="微信绑定二维码" data-qr-content={qr.qrContent} dangerouslySetInnerHTML={{ __html: qr.qrSvg }} />
      <ol className="print-steps">
        <li>打开微信“扫一扫”,扫描上方二维码;</li>
        <li>关注医院公众号,即完成绑定;</li>
        <li>出院后的关怀提醒、随访问卷和复诊通知将通过微信发送给您。</li>
      </ol>
      <p className="print-note">二维码有效期至 {day(qr.expiresAt)}。如不希望接收消息,可在公众号回复“退订”或取消关注。</p>
    </main>
  );
}
