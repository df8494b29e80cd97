/**
 * Layout of the admin pages (/admin, /admin/rules, /admin/templates, /admin/mappings): admins
 * only. Each child route checks the role again, since loaders run in parallel and actions run
 * without this loader.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Outlet } from '@remix-run/react';
import { requireUser } from '../auth.server.js';

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, ['admin']);
  return null;
}

export default function AdminLayout() {
  return <Outlet />;
}
