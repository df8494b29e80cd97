import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { homePath } from '../../domain/access.js';
import { requireUser } from '../auth.server.js';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  throw redirect(homePath(user.role));
}
