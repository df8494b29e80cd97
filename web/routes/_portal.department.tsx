import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../auth.server.js';

/** Department users land on their own department's page. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, ['dept_head', 'dept_staff']);
  throw redirect(`/departments/${encodeURIComponent(user.departmentCode!)}`);
}
