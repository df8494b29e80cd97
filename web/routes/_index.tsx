import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { homeOf, requireUser } from '../auth.server.js';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  throw redirect(await homeOf(context, user));
}
