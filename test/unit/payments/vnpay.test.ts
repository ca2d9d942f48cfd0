// The VNPay 2.1.0 signature, checked against strings written out by hand in the test and signed with node:crypto
// on their own, and the receipt's amount in Vietnamese words.
import test from 'ava';
import crypto from 'node:crypto';
import { canonicalString, isSignatureValid, requestParams, signParams, signedQuery, vnpDate, vnpEncode } from '../../../src/payments/vnpay.ts';
import { vndInWords } from '../../../src/payments/pdf.ts';

const SECRET = 'RKWSRGSLSCSUGQWGJCKNSYSVJEVWRUAJ';
const hmac = (s: string) => crypto.createHmac('sha512', SECRET).update(s, 'utf8').digest('hex');

test('a payment request is signed over its sorted, form-encoded parameters, spaces as plus and empty values left out', (t) => {
  const params = requestParams({
    txnRef: '42D2612011030001A2B3C', amount: 10000, orderInfo: 'Nop phi ho so 000.00.00.X00-261201-0001 1.004222', createdAt: new Date('2026-12-01T03:30:00Z'),
    expiresAt: new Date('2026-12-01T03:45:00Z'), ipAddr: '127.0.0.1', locale: 'vi', returnUrl: 'http://govflow.test/payments/vnpay/return',
  }, 'GOVFLOW0');
  params.set('vnp_BankCode', '');
  const expected = 'vnp_Amount=1000000&vnp_Command=pay&vnp_CreateDate=20261201103000&vnp_CurrCode=VND&vnp_ExpireDate=20261201104500'
    + '&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Nop+phi+ho+so+000.00.00.X00-261201-0001+1.004222&vnp_OrderType=other'
    + '&vnp_ReturnUrl=http%3A%2F%2Fgovflow.test%2Fpayments%2Fvnpay%2Freturn&vnp_TmnCode=GOVFLOW0&vnp_TxnRef=42D2612011030001A2B3C&vnp_Version=2.1.0';
  t.is(canonicalString(params), expected);
  t.is(signParams(params, SECRET), hmac(expected));
  t.is(signedQuery(params, SECRET), `${expected}&vnp_SecureHash=${hmac(expected)}`);
});

test('a notification is valid only with the merchant signature over every vnp_ field but the hash itself', (t) => {
  const signed = 'vnp_Amount=2000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=Nop+phi+ho+so'
    + '&vnp_PayDate=20261201103500&vnp_ResponseCode=00&vnp_TmnCode=GOVFLOW0&vnp_TransactionNo=14226112&vnp_TransactionStatus=00&vnp_TxnRef=7D261201103000ABCDEF';
  const params = new Map([...new URLSearchParams(signed)]);
  params.set('vnp_SecureHashType', 'HmacSHA512');
  params.set('vnp_SecureHash', hmac(signed).toUpperCase());
  t.true(isSignatureValid(params, SECRET));
  params.set('vnp_Amount', '3000000');
  t.false(isSignatureValid(params, SECRET));
  params.set('vnp_Amount', '2000000');
  t.false(isSignatureValid(params, 'another-secret-of-the-same-size!'));
  params.set('vnp_SecureHash', 'abc');
  t.false(isSignatureValid(params, SECRET));
});

test('values are encoded as PHP urlencode does: UTF-8 bytes, reserved and quote characters escaped', (t) => {
  t.is(vnpEncode("Thanh toán (phí)! *~'"), 'Thanh+to%C3%A1n+%28ph%C3%AD%29%21+%2A%7E%27');
  t.is(vnpEncode('a&b=c/d'), 'a%26b%3Dc%2Fd');
});

test('dates are written yyyyMMddHHmmss in Vietnam time', (t) => {
  t.is(vnpDate(new Date('2026-12-31T17:05:09Z')), '20270101000509');
});

test('amounts are read in Vietnamese words as receipts write them', (t) => {
  t.is(vndInWords(10000), 'Mười nghìn đồng');
  t.is(vndInWords(20000), 'Hai mươi nghìn đồng');
  t.is(vndInWords(50000), 'Năm mươi nghìn đồng');
  t.is(vndInWords(3500000), 'Ba triệu năm trăm nghìn đồng');
  t.is(vndInWords(1005000), 'Một triệu không trăm linh năm nghìn đồng');
  t.is(vndInWords(121015), 'Một trăm hai mươi mốt nghìn không trăm mười lăm đồng');
  t.is(vndInWords(2000000000), 'Hai tỷ đồng');
  t.is(vndInWords(0), 'Không đồng');
});
