// What a payment gateway adapter is: how the payer is sent to it, and how its notifications are read. The
// service and dossiers know only this interface; VNPay 2.1.0 (`vnpay.ts`) is the first adapter, and the
// national payment platform can be another one registered beside it (docs/payments.md).

/** An order as the service hands it to a gateway. */
export interface GatewayOrder {
  txnRef: string;
  /** In VND. */
  amount: number;
  /** Plain ASCII text the payer sees at the gateway. */
  orderInfo: string;
  createdAt: Date;
  expiresAt: Date;
  /** The payer's IP address as this server saw it. */
  ipAddr: string;
  locale: 'vi' | 'en';
  /** Absolute URL the gateway sends the payer's browser back to. */
  returnUrl: string;
}

/** What a notification (or a return to the site) says, once its signature was checked. */
export interface GatewayNotice {
  /** Whether the signature is the merchant's (nothing else may be trusted otherwise). */
  isSigned: boolean;
  txnRef: string | null;
  /** In VND, as the gateway states it. */
  amount: number | null;
  /** Whether the gateway says the payment went through. */
  isSuccess: boolean;
  gatewayTxnNo: string | null;
  bankCode: string | null;
  responseCode: string | null;
}

/** How a notification was taken: the same meanings for every gateway, each answers them in its own words. */
export type NoticeOutcome = 'confirmed' | 'notFound' | 'alreadyConfirmed' | 'wrongAmount' | 'badSignature' | 'error';

/** One payment gateway. */
export interface PaymentGateway {
  /** Stored in each payment row, e.g. `vnpay`. */
  readonly name: string;
  /** Whether it is configured (merchant code, secret, address). */
  isConfigured(): boolean;
  /** The URL the payer's browser is sent to, carrying the signed order. */
  redirectUrl(order: GatewayOrder): string;
  /** Reads and checks the parameters of a notification or a return (unknown keys are ignored). */
  readNotice(params: ReadonlyMap<string, string>): GatewayNotice;
  /** The body the gateway expects in answer to a notification. */
  answer(outcome: NoticeOutcome): unknown;
}

const gateways = new Map<string, PaymentGateway>();

/** Adds a gateway adapter (at module load). */
export function registerGateway(gateway: PaymentGateway): void {
  gateways.set(gateway.name, gateway);
}

/** The adapter of this name, or undefined. */
export function gatewayNamed(name: string): PaymentGateway | undefined {
  return gateways.get(name);
}
