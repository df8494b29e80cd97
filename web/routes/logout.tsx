import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { readSessionToken, clearedSessionCookie } from '../../services/session-cookie.js';
import '../load-context.js';

export async function action({ request, context }: ActionFunctionArgs) {
  await context.services.auth.logout(readSessionToken(request.headers.get('cookie')), context.meta);
  return redirect('/login', {
    headers: { 'Set-Cookie': clearedSessionCookie(context.services.env.NODE_ENV === 'production') },
  });
}

export const loader = () => redirect('/');
