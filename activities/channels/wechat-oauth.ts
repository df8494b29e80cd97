/**
 * WeChat Official Account web authorization (网页授权, OAuth 2.0, scope snsapi_base): the page a
 * patient opens inside WeChat is sent to WeChat's authorize URL, WeChat sends the phone back to
 * `redirect_uri?code=…&state=…` without asking anything (silent for snsapi_base), and the server
 * exchanges the code at /sns/oauth2/access_token for the user's openid in this account. A code is
 * valid once, for five minutes: a reused or unknown one is errcode 40029 (invalid code), 40163
 * (code been used). Both base URLs are settings, so development and tests use the simulator.
 */

export interface WechatOAuthSettings {
  appId: string;
  appSecret: string;
  /** https://api.weixin.qq.com unless pointed elsewhere (simulator). */
  apiBaseUrl: string;
  /** https://open.weixin.qq.com unless pointed elsewhere (simulator). */
  authorizeBaseUrl: string;
}

/** WeChat refused the exchange: its errcode and errmsg (40029 invalid code, 40163 code been used, 40013 invalid appid…). */
export class WechatOAuthError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeChat oauth2/access_token: ${errcode} ${errmsg}`);
    this.name = 'WechatOAuthError';
  }
}

/** The answer of /sns/oauth2/access_token (fields as WeChat documents them). */
interface AccessTokenReply {
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
  openid?: string;
  scope?: string;
  unionid?: string;
  /** 1 for a "snapshot page" virtual account (the user has not really authorised): no real openid. */
  is_snapshotuser?: number;
  errcode?: number;
  errmsg?: string;
}

export interface WechatOAuth {
  /** WeChat's authorize URL for a silent (snsapi_base) authorization returning to `redirectUri` with `state`. */
  authorizeUrl(redirectUri: string, state: string): string;
  /** The openid behind a code WeChat handed back; throws WechatOAuthError when WeChat refuses it. */
  openidForCode(code: string): Promise<string>;
}

export function createWechatOAuth(s: WechatOAuthSettings): WechatOAuth {
  const api = s.apiBaseUrl.replace(/\/$/, '');
  const open = s.authorizeBaseUrl.replace(/\/$/, '');
  return {
    authorizeUrl(redirectUri, state) {
      // WeChat reads the parameters in this order and requires the #wechat_redirect fragment.
      const q = new URLSearchParams({ appid: s.appId, redirect_uri: redirectUri, response_type: 'code', scope: 'snsapi_base', state });
      return `${open}/connect/oauth2/authorize?${q.toString()}#wechat_redirect`;
    },
    async openidForCode(code) {
      const q = new URLSearchParams({ appid: s.appId, secret: s.appSecret, code, grant_type: 'authorization_code' });
      const res = await fetch(`${api}/sns/oauth2/access_token?${q.toString()}`);
      const body = (await res.json()) as AccessTokenReply;
      if (body.errcode) throw new WechatOAuthError(body.errcode, body.errmsg ?? '');
      if (!body.openid) throw new WechatOAuthError(-1, `no openid in the answer (HTTP ${res.status})`);
      if (body.is_snapshotuser === 1) throw new WechatOAuthError(-2, 'snapshot page user (not authorised)');
      return body.openid;
    },
  };
}
