/**
 * /book/wechat — where WeChat's web authorization returns the phone (`?code=…&state=…`): the code
 * is exchanged for the openid, a bound patient is verified (cookie), and the phone goes back to the
 * booking page it came from, without the code in the URL. Unbound or refused → that page asks for
 * the SMS code and says why. Rules live in services/patient-identity.ts.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const done = await context.services.patientIdentity.finishWechat(new URL(request.url).searchParams, request.headers.get('cookie'));
  const headers = new Headers({ Location: done.next, 'Cache-Control': 'no-store' });
  for (const cookie of done.setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 302, headers });
}
