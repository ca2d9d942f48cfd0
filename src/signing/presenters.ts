// What the signing pages show of a verification: one line per fact, each with its catalog key.
import type { Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';
import type { VerifyItem, VerifyReport } from './service.ts';

/** One signature on the verify page. */
export interface VerifyItemView extends VerifyItem {
  n: number;
  stateKey: 'valid' | 'invalid';
  intactKey: 'intact' | 'broken' | 'modifiedAfter' | 'notChecked';
  trustKey: 'trusted' | 'untrusted' | 'revoked';
  timeText: string;
  validityText: string;
}

/** The verify page's view of a report. */
export function presentReport(_locale: Locale, r: VerifyReport): { kind: string; isValid: boolean; signatures: VerifyItemView[] } {
  return {
    kind: r.kind,
    isValid: r.isValid,
    signatures: r.signatures.map((s, i) => ({
      ...s,
      n: i + 1,
      stateKey: s.isValid ? 'valid' : 'invalid',
      intactKey: s.isIntact === null ? 'notChecked' : s.isIntact ? 'intact' : s.problem === 'modifiedAfter' ? 'modifiedAfter' : 'broken',
      trustKey: s.isRevoked ? 'revoked' : s.isTrusted ? 'trusted' : 'untrusted',
      timeText: s.signingTime ? formatVn(s.signingTime) : '',
      validityText: s.signer ? `${formatVn(s.signer.notBefore)} – ${formatVn(s.signer.notAfter)}` : '',
    })),
  };
}
