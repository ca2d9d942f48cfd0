// Every event has a Vietnamese and an English text with a subject, a body and an SMS part.
import test from 'ava';
import { EVENTS, renderMessage, withoutDiacritics } from '../../../src/notify/templates.ts';

const data = {
  recipientName: 'Lê Thị Mai', taskName: 'Duyệt báo cáo', title: 'Báo cáo tháng 11 của Sở Tài chính', businessKey: 'BC-1', dueAt: new Date('2026-12-05T10:00:00Z'),
  at: new Date('2026-12-01T03:00:00Z'), link: 'http://govflow.test/x', unitName: 'Sở Tài chính & Kế hoạch', dossierCode: 'HS-000123', documents: ['Bản sao CCCD'],
  what: 'Tin nhắn gửi lỗi', count: 12, threshold: 10, comment: 'Thiếu số liệu quý',
};

for (const event of EVENTS) {
  for (const locale of ['vi', 'en'] as const) {
    test(`the ${event} message renders a subject, a body and an SMS in ${locale}`, (t) => {
      const r = renderMessage(event, locale, data);
      t.true(r.subject.length > 5 && !r.subject.includes('\n'));
      t.true(r.text.length > 20);
      t.true(r.sms.length > 5 && r.sms.length <= 320);
      t.false(r.text.includes('{{'));
      t.is(withoutDiacritics(r.sms), r.sms);
    });
  }
}

test('texts are plain text: an ampersand is not escaped as HTML', (t) => {
  t.true(renderMessage('child-submitted', 'vi', data).subject.startsWith('Sở Tài chính & Kế hoạch đã gửi báo cáo'));
});

test('the Vietnamese deadline reminder shows the due time in Vietnam time', (t) => {
  t.true(renderMessage('deadline-reminder', 'vi', data).text.includes('05/12/2026 17:00'));
});

test('an unknown event is refused', (t) => {
  t.throws(() => renderMessage('nope', 'vi', {}), { message: /no notification template/ });
});
