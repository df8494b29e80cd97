/** A form field's error, next to the field and tied to it for screen readers. */

/** Props for the input: invalid, and described by its error, when it has one. */
export function fieldAria(id: string, message: string | undefined) {
  return message ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {};
}

export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p className="field-error" id={`${id}-error`}>
      {message}
    </p>
  ) : null;
}
