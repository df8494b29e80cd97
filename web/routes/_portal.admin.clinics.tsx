/**
 * /admin/clinics — outpatient set-up (出诊安排): experts, their weekly clinic sessions and the dates a
 * session does not run. The nightly quota plan creates the dated sessions from this page's data.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { HALF_DAY_LABELS, WEEKDAY_LABELS } from '../../domain/clinic-schedule.js';
import { orRespond, requireUser } from '../auth.server.js';
import { formFailure, formValues, type FormFailure } from '../components/admin/form-problems.js';
import { FieldError, fieldAria } from '../components/FieldError.js';

export const meta: MetaFunction = () => [{ title: '出诊安排 · 随访管理平台' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const { outpatientSetup, directory } = context.services;
  const [experts, schedules, departments] = await Promise.all([
    orRespond(outpatientSetup.experts(admin)),
    orRespond(outpatientSetup.schedules(admin)),
    directory.departments(),
  ]);
  return { experts, schedules, departments: departments.filter((d) => d.kind === 'clinical') };
}

type Intent = 'expert' | 'schedule' | 'close' | 'reopen';

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireUser(request, context, ['admin']);
  const values = formValues(await request.formData());
  const intent = values.intent as Intent;
  const setup = context.services.outpatientSetup;
  try {
    if (intent === 'expert') {
      await setup.saveExpert(admin, { name: values.name, departmentCode: values.departmentCode, title: values.title }, context.meta);
    } else if (intent === 'schedule') {
      const { intent: _omit, ...fields } = values;
      await setup.saveSchedule(admin, fields, context.meta);
    } else if (intent === 'close') {
      await setup.addClosure(admin, { scheduleId: values.scheduleId, date: values.date, reason: values.reason }, context.meta);
    } else {
      await setup.removeClosure(admin, values.scheduleId ?? '', values.date ?? '', context.meta);
    }
    return redirect(`/admin/clinics?saved=${intent}`);
  } catch (err) {
    const { failure, status } = formFailure(err, values);
    return data({ ...failure, intent }, { status });
  }
}

const SAVED: Record<string, string> = { expert: '已添加专家。', schedule: '已添加出诊。', close: '已登记停诊日期，当晚的号源测算将不再排这一天。', reopen: '已取消停诊。' };

export default function Clinics() {
  const { experts, schedules, departments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const busy = navigation.state !== 'idle';
  const failed = (intent: Intent): FormFailure | undefined => (result?.intent === intent ? result : undefined);
  const f = { expert: failed('expert'), schedule: failed('schedule'), close: failed('close') };
  const expertName = new Map(experts.map((e) => [e.id, `${e.name}（${e.departmentName}·${e.title}）`]));
  const saved = params.get('saved');
  return (
    <>
      <h1>出诊安排</h1>
      <p className="hint" style={{ marginBottom: '1rem' }}>
        每晚的号源测算按这里的每周出诊生成之后几天的门诊与时段，跳过停诊日期；已有预约的门诊不会被自动取消。
      </p>
      {saved && !result && (
        <p className="notice" role="status">
          {SAVED[saved]}
        </p>
      )}
      {result?.intent === 'reopen' && (
        <p className="error-summary" role="alert">
          {result.message}
        </p>
      )}

      <h2>专家</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>医生</th>
            <th>科室</th>
            <th>职称</th>
            <th>状态</th>
          </tr>
        </thead>
        <tbody>
          {experts.map((e) => (
            <tr key={e.id}>
              <td>{e.name}</td>
              <td>{e.departmentName}</td>
              <td>{e.title}</td>
              <td>{e.active ? '出诊中' : '已停用'}</td>
            </tr>
          ))}
          {experts.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                还没有专家
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Form method="post" className="admin-form" key={`expert-${f.expert ? 'failed' : saved}`} noValidate>
        <h3>添加专家</h3>
        <input type="hidden" name="intent" value="expert" />
        {f.expert && <p className="error-summary" role="alert">{f.expert.message}</p>}
        <div className="fields">
          <label>
            医生姓名
            <input name="name" defaultValue={f.expert?.values.name} {...fieldAria('name', f.expert?.errors.name)} />
            <FieldError id="name" message={f.expert?.errors.name} />
          </label>
          <label>
            科室
            <select name="departmentCode" defaultValue={f.expert?.values.departmentCode} {...fieldAria('departmentCode', f.expert?.errors.departmentCode)}>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.name}
                </option>
              ))}
            </select>
            <FieldError id="departmentCode" message={f.expert?.errors.departmentCode} />
          </label>
          <label>
            职称
            <input name="title" list="titles" defaultValue={f.expert?.values.title} {...fieldAria('title', f.expert?.errors.title)} />
            <datalist id="titles">
              <option value="主任医师" />
              <option value="副主任医师" />
              <option value="主治医师" />
            </datalist>
            <FieldError id="title" message={f.expert?.errors.title} />
          </label>
        </div>
        <div className="actions">
          <button type="submit" disabled={busy}>
            添加专家
          </button>
        </div>
      </Form>

      <h2>每周出诊</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>专家</th>
            <th>出诊</th>
            <th>时间</th>
            <th>开始挂号</th>
            <th>每段</th>
            <th>总号 / 预约号</th>
            <th>停诊日期</th>
            <th>登记停诊</th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => (
            <tr key={s.id}>
              <td>{expertName.get(s.expertId) ?? '—'}</td>
              <td className="nowrap">
                {WEEKDAY_LABELS[s.weekday]}
                {HALF_DAY_LABELS[s.halfDay]}
              </td>
              <td className="nowrap">
                {s.startsAt}–{s.endsAt}
              </td>
              <td>{s.registrationOpensAt}</td>
              <td>{s.slotMinutes} 分钟</td>
              <td>
                {s.totalNumbers} / {s.appointmentNumbers}
              </td>
              <td>
                {s.closures.length === 0
                  ? '—'
                  : s.closures.map((c) => (
                      <Form method="post" key={c.date} className="inline-form">
                        <input type="hidden" name="intent" value="reopen" />
                        <input type="hidden" name="scheduleId" value={s.id} />
                        <input type="hidden" name="date" value={c.date} />
                        <span className="small">
                          {c.date}（{c.reason}）
                        </span>
                        <button type="submit" className="link-button small" disabled={busy} aria-label={`取消 ${c.date} 停诊`}>
                          取消
                        </button>
                      </Form>
                    ))}
              </td>
              <td>
                <Form method="post" className="inline-form" key={s.closures.length} noValidate>
                  <input type="hidden" name="intent" value="close" />
                  <input type="hidden" name="scheduleId" value={s.id} />
                  <input type="date" name="date" aria-label="停诊日期" required />
                  <input name="reason" placeholder="原因（节假日、休假）" aria-label="停诊原因" size={12} />
                  <button type="submit" className="small-button" disabled={busy}>
                    停诊
                  </button>
                </Form>
              </td>
            </tr>
          ))}
          {schedules.length === 0 && (
            <tr>
              <td colSpan={8} className="empty">
                还没有出诊安排
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {f.close && (
        <p className="error-summary" role="alert">
          停诊未登记：{Object.values(f.close.errors).join('；') || f.close.message}
        </p>
      )}

      <Form method="post" className="admin-form" key={`schedule-${f.schedule ? 'failed' : saved}`} noValidate>
        <h3>添加出诊</h3>
        <input type="hidden" name="intent" value="schedule" />
        {f.schedule && <p className="error-summary" role="alert">{f.schedule.message}</p>}
        <div className="fields">
          <label>
            专家
            <select name="expertId" defaultValue={f.schedule?.values.expertId} {...fieldAria('expertId', f.schedule?.errors.expertId)}>
              {experts
                .filter((e) => e.active)
                .map((e) => (
                  <option key={e.id} value={e.id}>
                    {expertName.get(e.id)}
                  </option>
                ))}
            </select>
            <FieldError id="expertId" message={f.schedule?.errors.expertId} />
          </label>
          <label>
            星期
            <select name="weekday" defaultValue={f.schedule?.values.weekday ?? '1'} {...fieldAria('weekday', f.schedule?.errors.weekday)}>
              {WEEKDAY_LABELS.slice(1).map((label, i) => (
                <option key={label} value={i + 1}>
                  {label}
                </option>
              ))}
            </select>
            <FieldError id="weekday" message={f.schedule?.errors.weekday} />
          </label>
          <label>
            上午 / 下午
            <select name="halfDay" defaultValue={f.schedule?.values.halfDay ?? 'am'} {...fieldAria('halfDay', f.schedule?.errors.halfDay)}>
              <option value="am">上午</option>
              <option value="pm">下午</option>
            </select>
            <FieldError id="halfDay" message={f.schedule?.errors.halfDay} />
          </label>
        </div>
        <div className="fields">
          {(
            [
              ['startsAt', '开诊时间', '08:00', 'time'],
              ['endsAt', '停诊时间', '12:00', 'time'],
              ['registrationOpensAt', '开始挂号', '07:00', 'time'],
              ['slotMinutes', '每段分钟数', '60', 'number'],
              ['totalNumbers', '总号数', '30', 'number'],
              ['appointmentNumbers', '其中预约号数', '12', 'number'],
            ] as const
          ).map(([name, label, fallback, type]) => (
            <label key={name}>
              {label}
              <input name={name} type={type} defaultValue={f.schedule?.values[name] ?? fallback} {...fieldAria(name, f.schedule?.errors[name])} />
              <FieldError id={name} message={f.schedule?.errors[name]} />
            </label>
          ))}
        </div>
        <div className="actions">
          <button type="submit" disabled={busy || experts.length === 0}>
            添加出诊
          </button>
        </div>
      </Form>
    </>
  );
}
