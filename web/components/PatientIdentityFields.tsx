/**
 * 姓名, 身份证号 and 手机号 of the patient an outpatient booking is for, with their field errors:
 * the patient's own booking page (/book) and the registration desk (/desk) ask the same three.
 */
interface Props {
  values: { name?: string; idNumber?: string; mobile?: string };
  fields: { name?: string; idNumber?: string; mobile?: string };
  /** The patient types their own details, so the browser may fill them in (not at the staff desk). */
  ownDetails?: boolean;
  /** The mobile was verified a moment ago (/book): shown masked instead of asked again. */
  verifiedMobile?: string;
}

export function PatientIdentityFields({ values, fields, ownDetails = false, verifiedMobile }: Props) {
  return (
    <>
      <label>
        姓名
        <input name="name" defaultValue={values.name ?? ''} autoComplete={ownDetails ? 'name' : undefined} aria-invalid={fields.name ? true : undefined} />
        {fields.name && <span className="field-error">{fields.name}</span>}
      </label>
      <label>
        身份证号
        <input name="idNumber" defaultValue={values.idNumber ?? ''} autoComplete="off" aria-invalid={fields.idNumber ? true : undefined} />
        {fields.idNumber && <span className="field-error">{fields.idNumber}</span>}
      </label>
 {verifiedMobile ? (
        <p className="verified-mobile" data-testid="verified-mobile">
          手机号 {verifiedMobile}(已验证)
        </p>
      ) : (
      <label>
        手机号
        <input name="mobile" inputMode="tel" defaultValue={values.mobile ?? ''} autoComplete={ownDetails ? 'tel' : undefined} aria-invalid={fields.mobile ? true : undefined} />
        {fields.mobile && <span className="field-error">{fields.mobile}</span>}
      </label>
      )}
    </>
  );
}

/** 短信验证码 with its 获取验证码 button (intent send_code): the same row wherever a patient proves their mobile. */
export function SmsCodeRow({ busy }: { busy: boolean }) {
  return (
    <div className="code-row">
      <label>
        短信验证码
        <input name="code" inputMode="numeric" maxLength={6} autoComplete="one-time-code" />
      </label>
      <button type="submit" name="intent" value="send_code" className="secondary" disabled={busy}>
        获取验证码
      </button>
    </div>
  );
}
