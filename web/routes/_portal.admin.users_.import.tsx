/**
 * /admin/users/import — a staff list (.xlsx or .csv) imported in two steps: a preview of every row
 * with every problem (row, column, why), then the import itself, all or nothing. Rows without a
 * password get a one-time password, listed once after the import.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useNavigation } from '@remix-run/react';
import { isServiceError } from '../../services/errors.js';
import type { ImportPreview } from '../../services/users.js';
import { requireUser } from '../auth.server.js';

export const meta: MetaFunction = () => [{ title: '批量导入用户 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, ['admin']);
  return null;
}

type Outcome =
  | { step: 'preview'; fileName: string; fileData: string; preview: ImportPreview }
  | { step: 'done'; created: { username: string; oneTimePassword: string | null }[] }
  | { step: 'failed'; message: string; rowErrors?: ImportPreview['errors'] };

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const upload = form.get('file');
  // The preview carries the file back in the page, so confirming imports exactly what was previewed.
  const file =
    upload instanceof File && upload.size > 0
      ? { name: upload.name, bytes: new Uint8Array(await upload.arrayBuffer()) }
      : typeof form.get('fileData') === 'string'
        ? { name: String(form.get('fileName') ?? ''), bytes: new Uint8Array(Buffer.from(String(form.get('fileData')), 'base64')) }
        : null;
  if (!file) return data<Outcome>({ step: 'failed', message: '请选择 .xlsx 或 .csv 文件' }, { status: 400 });
  try {
    if (form.get('intent') === 'import') {
      const { created } = await context.services.users.importStaff(admin, file, context.meta);
      return data<Outcome>({ step: 'done', created });
    }
    const preview = await context.services.users.previewImport(admin, file);
    return data<Outcome>({ step: 'preview', fileName: file.name, fileData: Buffer.from(file.bytes).toString('base64'), preview });
  } catch (err) {
    if (isServiceError(err) && err.status === 400) {
      return data<Outcome>({ step: 'failed', message: err.message, rowErrors: err.details?.rowErrors as ImportPreview['errors'] | undefined }, { status: 400 });
    }
    throw err;
  }
}

export default function ImportUsers() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  return (
    <>
      <h1>批量导入用户</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        第一行为表头：用户名、姓名、角色（客服、科室主任、科室人员、管理层、管理员）、科室（代码或名称），可选：密码、电话、分机。
        先预览，全部无误才能导入；任何一行有错，一个也不导入。未填密码的人员生成一次性密码，首次登录须修改。
      </p>
      <Form method="post" encType="multipart/form-data" className="admin-form">
        <label>
          人员名单（.xlsx 或 .csv）
          <input type="file" name="file" accept=".xlsx,.csv" required autoFocus />
        </label>
        <div className="actions">
          <button type="submit" name="intent" value="preview" disabled={busy}>
            预览
          </button>
          <Link to="/admin/users">返回用户列表</Link>
        </div>
      </Form>
      {result?.step === 'failed' && (
        <div className="error-summary" role="alert">
          {result.message}
          {result.rowErrors && <RowErrors errors={result.rowErrors} />}
        </div>
      )}
      {result?.step === 'preview' && (
        <section aria-label="预览">
          <h2>
            预览 · {result.fileName} <span className="count">{result.preview.rows.length} 行</span>
          </h2>
          {result.preview.errors.length > 0 ? (
            <div className="error-summary" role="alert">
              {result.preview.errors.length} 处错误，请修改文件后重新预览：
              <RowErrors errors={result.preview.errors} />
            </div>
          ) : (
            <Form method="post" className="toolbar">
              <input type="hidden" name="fileName" value={result.fileName} />
              <input type="hidden" name="fileData" value={result.fileData} />
              <button type="submit" name="intent" value="import" disabled={busy} autoFocus>
                确认导入 {result.preview.rows.length} 人
              </button>
            </Form>
          )}
          <table className="grid">
            <thead>
              <tr>
                <th>行</th>
                <th>用户名</th>
                <th>姓名</th>
                <th>角色</th>
                <th>科室</th>
                <th>密码</th>
              </tr>
            </thead>
            <tbody>
              {result.preview.rows.map((r) => {
                const bad = result.preview.errors.some((e) => e.row === r.row);
                return (
                  <tr key={r.row} className={bad ? 'row-error' : undefined}>
                    <td>{r.row}</td>
                    <td className="mono">{r.username}</td>
                    <td>{r.displayName}</td>
                    <td>{r.roleLabel}</td>
                    <td>{r.departmentName ?? '—'}</td>
                    <td>{r.oneTimePassword ? '生成一次性密码' : '文件中已给出'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      {result?.step === 'done' && (
        <section aria-label="导入结果">
          <p className="notice" role="status">
            已导入 {result.created.length} 人。一次性密码只显示这一次，请逐一告知本人；首次登录须修改密码。
          </p>
          <table className="grid">
            <thead>
              <tr>
                <th>用户名</th>
                <th>一次性密码</th>
              </tr>
            </thead>
            <tbody>
              {result.created.map((c) => (
                <tr key={c.username}>
                  <td className="mono">{c.username}</td>
                  <td className="mono">{c.oneTimePassword ?? '（使用文件中的密码）'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

function RowErrors({ errors }: { errors: ImportPreview['errors'] }) {
  return (
    <ul>
      {errors.map((e, i) => (
        <li key={i}>
          第 {e.row} 行 · {e.column}：{e.message}
        </li>
      ))}
    </ul>
  );
}
