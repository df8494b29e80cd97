import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import { orRespond, requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '爽约黑名单 · 随访管理平台' }];

/** Patients barred from booking after repeated no-shows; an admin may lift a bar early, with a reason (audited). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  return { patients: await orRespond(context.services.appointments.blacklisted(user, context.meta)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const patientId = String(form.get('patientId') ?? '');
  try {
    await context.services.appointments.liftBlacklist(user, patientId, String(form.get('reason') ?? ''), context.meta);
    return { lifted: patientId, error: null };
  } catch (err) {
    if (isServiceError(err)) return data({ lifted: null, error: { patientId, message: err.message } }, { status: err.status });
    throw err;
  }
}

export default function Blacklist() {
  const { patients } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== 'idle';
  return (
    <>
      <h1>
        爽约黑名单 <span className="count">{patients.length}</span>
      </h1>
      <p className="muted">多次爽约的患者在期限内不能预约(现场挂号不受影响),期满自动解除。提前解除须填写原因,并记入审计日志。</p>
      {result?.lifted && <p role="status">已解除该患者的预约限制。</p>}
      {patients.length === 0 ? (
        <p className="empty">当前没有被限制预约的患者</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>患者</th>
              <th>电话</th>
              <th>限制至</th>
              <th>累计次数</th>
              <th>提前解除</th>
            </tr>
          </thead>
          <tbody>
            {patients.map((p) => (
              <tr key={p.patientId}>
                <td>{p.name}</td>
                <td className="mono">{p.phoneMasked}</td>
                <td>{new Date(p.until).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}</td>
                <td>{p.count}</td>
                <td>
                  <Form method="post" className="inline-form">
                    <input type="hidden" name="patientId" value={p.patientId} />
                    <label>
                      原因
                      <input name="reason" required minLength={2} aria-invalid={result?.error?.patientId === p.patientId || undefined} />
                    </label>
                    <button type="submit" disabled={busy}>
                      解除
                    </button>
                    {result?.error?.patientId === p.patientId && <span className="form-error">{result.error.message}</span>}
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
