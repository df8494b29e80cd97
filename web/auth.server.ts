/** Sign-in guard for portal routes, and the translation of service errors into HTTP responses. */
import { redirect, type AppLoadContext } from '@remix-run/node';
import { homePath, seesAllDepartments, type Principal, type Role } from '../domain/access.js';
import { isServiceError } from '../services/errors.js';
import { readSessionToken } from '../services/session-cookie.js';
import './load-context.js';

/** The signed-in user, or a redirect to the sign-in page that comes back here afterwards. */
export async function requireUser(request: Request, context: AppLoadContext, roles?: readonly Role[]): Promise<Principal> {
  const user = await context.services.auth.userFromToken(readSessionToken(request.headers.get('cookie')));
  if (!user) {
    const url = new URL(request.url);
    throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  }
  // A one-time or expired password: the password page only, until it is changed.
  if (user.mustChangePassword && new URL(request.url).pathname !== '/account/password') throw redirect('/account/password');
  if (roles && !roles.includes(user.role)) throw new Response('无权访问该页面', { status: 403 });
  return user;
}

/** Where this user lands after sign-in (depends on the kind of their department). */
export async function homeOf(context: AppLoadContext, user: Principal): Promise<string> {
  const department = user.departmentCode ? await context.services.directory.department(user.departmentCode) : null;
  return homePath(user.role, department?.kind);
}

/** Runs a service call; its deliberate errors become responses the error boundary shows. */
export async function orRespond<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isServiceError(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}

/** Where a supervisor inspects workflows in the Temporal Web UI (one workflow, or the list); null for anyone else. */
export function temporalUiUrl(user: Principal, context: AppLoadContext, workflowId?: string): string | null {
  if (!seesAllDepartments(user.role)) return null;
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = context.services.env;
  const list = `${TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(TEMPORAL_NAMESPACE)}/workflows`;
  return workflowId === undefined ? list : `${list}/${encodeURIComponent(workflowId)}`;
}
