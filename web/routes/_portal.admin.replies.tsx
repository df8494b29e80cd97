/**
 * 常用问题快捷回复 (系统管理): the canned answers agents and departments insert with Alt+K, per
 * department or hospital-wide. Add, edit, disable/enable (never delete); every change is audited.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CANNED_REPLY_TOPICS, CANNED_REPLY_TOPIC_LABELS, MAX_CANNED_BODY, MAX_CANNED_TITLE } from '../../domain/canned-replies.js';
import { requireUser } from '../auth.server.js';
import { formFailure, formValues, type FormFailure } from '../components/admin/form-problems.js';

export const meta: MetaFunction = () => [{ title: '快捷回复 · 系统管理 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const search = new URL(request.url).searchParams;
  const query = search.get('q')?.trim() ?? '';
  const dept = search.get('dept');
  const [replies, departments] = await Promise.all([
    context.services.cannedReplies.all(user, { query, departmentCode: dept === null || dept === 'all' ? undefined : dept }),
    context.services.directory.departments(),
  ]);
  const editId = Number(search.get('edit'));
  const editing = Number.isInteger(editId) && editId > 0 ? (replies.find((r) => r.id === editId) ?? (await context.services.cannedReplies.all(user)).find((r) => r.id === editId) ?? null) : null;
  return {
    replies,
    departments: departments.map((d) => ({ code: d.code, name: d.name })),
    query,
    dept: dept ?? 'all',
    editing,
    saved: search.get('saved'),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, ['admin']);
  const form = await request.formData();
  const values = formValues(form);
  try {
    if (values['intent'] === 'toggle') {
      const reply = await context.services.cannedReplies.setActive(user, Number(values['id']), values['active'] === 'true', context.meta);
      return redirect(`/admin/replies?saved=${encodeURIComponent(`${reply.title}已${reply.active ? '启用' : '停用'}`)}`);
    }
    const reply = await context.services.cannedReplies.save(
      user,
      { id: values['id'], departmentCode: values['departmentCode'], topic: values['topic'] ?? '', title: values['title'] ?? '', body: values['body'] ?? '' },
      context.meta,
    );
    return redirect(`/admin/replies?saved=${encodeURIComponent(`已保存“${reply.title}”`)}`);
  } catch (err) {
    const { failure, status } = formFailure(err, values);
    return data<FormFailure>(failure, { status });
  }
}

export default function CannedRepliesAdmin() {
  const { replies, departments, query, dept, editing, saved } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>() as FormFailure | undefined;
  const busy = useNavigation().state === 'submitting';
  const v = (name: 'departmentCode' | 'topic' | 'title' | 'body') =>
    failure?.values[name] ?? (editing ? String((name === 'departmentCode' ? editing.departmentCode : editing[name]) ?? '') : '');
  const err = (name: string) =>
    failure?.errors[name] ? (
      <span className="field-error" role="alert">
        {failure.errors[name]}
      </span>
    ) : null;
  return (
    <div className="admin-replies">
      <div className="page-head">
        <h1>
          常用问题快捷回复 <span className="count">{replies.length} 条</span>
        </h1>
        <nav className="page-links">
          <Link to="/admin">← 系统管理</Link>
        </nav>
      </div>
      <p className="muted">客服在随访备注、科室在工单进展与处理结果中按 Alt+K 搜索并插入。科室专用的回复只对该科室的任务和工单出现；停用后不再出现。</p>
      {saved && (
        <div className="alert alert-success" role="status">
          {saved}
        </div>
      )}
      {failure && (
        <div className="alert alert-danger" role="alert">
          {failure.message}
        </div>
      )}

      <Form method="post" className="card admin-form" key={editing?.id ?? 'new'} data-testid="reply-form">
        <h2>{editing ? `编辑：${editing.title}` : '新增快捷回复'}</h2>
        {editing && <input type="hidden" name="id" value={editing.id} />}
        <div className="fields">
          <label>
            适用科室
            <select name="departmentCode" defaultValue={v('departmentCode')}>
              <option value="">全院通用</option>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
            {err('departmentCode')}
          </label>
          <label>
            问题类别
            <select name="topic" defaultValue={v('topic') || 'medication'}>
              {CANNED_REPLY_TOPICS.map((t) => (
                <option key={t} value={t}>
                  {CANNED_REPLY_TOPIC_LABELS[t]}
                </option>
              ))}
            </select>
            {err('topic')}
          </label>
          <label>
            标题
            <input name="title" maxLength={MAX_CANNED_TITLE} defaultValue={v('title')} placeholder="如：术后换药时间" />
            {err('title')}
          </label>
        </div>
        <label>
          回复内容
          <textarea name="body" rows={4} maxLength={MAX_CANNED_BODY} defaultValue={v('body')} placeholder="客服或科室可直接读给患者听的标准回答" />
          {err('body')}
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            保存
          </button>
          {editing && <Link to="/admin/replies">取消编辑</Link>}
        </div>
      </Form>

      <Form method="get" className="ticket-filters" aria-label="搜索快捷回复">
        <label>
          搜索
          <input type="search" name="q" defaultValue={query} placeholder="标题、内容、类别" />
        </label>
        <label>
          科室
          <select name="dept" defaultValue={dept}>
            <option value="all">全部</option>
            <option value="">全院通用</option>
            {departments.map((d) => (
              <option key={d.code} value={d.code}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="small-button">
          查询
        </button>
      </Form>

      {replies.length === 0 ? (
        <p className="empty">没有符合条件的快捷回复</p>
      ) : (
        <table className="grid compact" data-testid="reply-table">
          <thead>
            <tr>
              <th>科室</th>
              <th>类别</th>
              <th>标题</th>
              <th>内容</th>
              <th>状态</th>
              <th>操作</th>
            </tr>
          </thead>
          <tbody>
            {replies.map((r) => (
              <tr key={r.id} className={r.active ? undefined : 'muted'}>
                <td className="nowrap">{r.departmentName ?? '全院通用'}</td>
                <td className="nowrap">{r.topicLabel}</td>
                <td>{r.title}</td>
                <td className="small">{r.body}</td>
                <td className="nowrap">{r.active ? '启用' : '已停用'}</td>
                <td className="nowrap">
                  <Link to={`/admin/replies?edit=${r.id}`}>编辑</Link>{' '}
                  <Form method="post" style={{ display: 'inline' }}>
                    <input type="hidden" name="intent" value="toggle" />
                    <input type="hidden" name="id" value={r.id} />
                    <input type="hidden" name="active" value={r.active ? 'false' : 'true'} />
                    <button type="submit" className="link-button" disabled={busy}>
                      {r.active ? '停用' : '启用'}
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
