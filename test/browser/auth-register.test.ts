// A citizen registers in the browser, opens the link from their mailbox, confirms and is logged in;
// then posts a form and logs out with the CSRF token the login issued.
import test from 'ava';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { startBrowserApp, type BrowserApp } from '../helpers/browser.ts';
import { User } from '../../src/auth/models.ts';

let b: BrowserApp;
let smtp: SMTPServer;
const mails: string[] = [];

test.before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  b = await startBrowserApp({ orgs: false, env: { SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}` } });
});

test.after.always(async () => {
  await b?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

test.serial('a citizen registers, confirms from the mail, is logged in and can use and leave the site', async (t) => {
  const page = await b.newPage({ phone: true });
  await page.goto('/register');
  await page.getByLabel('Họ và tên').fill('Đặng Thị Công Dân');
  await page.getByLabel('Thư điện tử').fill('dang.congdan@example.vn');
  await page.getByLabel('Mật khẩu').fill('hoa sen nở giữa hè');
  await page.getByRole('button', { name: 'Đăng ký' }).click();
  await page.getByTestId('register-sent').waitFor();
  t.regex(await page.getByTestId('register-sent').innerText(), /dang.congdan@example.vn/);
  await page.screenshot({ path: '/tmp/shot-auth-register-sent.png', fullPage: true });

  for (let i = 0; i < 100 && !mails.length; i++) await new Promise((r) => setTimeout(r, 20));
  const link = /http:\/\/[^/\s]+(\/register\/confirm\?token=[A-Za-z0-9_-]+)/.exec(mails[0] ?? '')?.[1];
  t.truthy(link, 'the mail carries the link');
  await page.goto(link!);
  t.regex(await page.locator('main').innerText(), /Đặng Thị Công Dân \(dang.congdan@example.vn\)/);
  await page.screenshot({ path: '/tmp/shot-auth-register-confirm.png', fullPage: true });
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByTestId('confirm').click()]);
  t.is(await page.getByTestId('user-name').innerText(), 'Đặng Thị Công Dân');
  t.truthy(await User.findOne({ where: { email: 'dang.congdan@example.vn' } }));

  // The language switch and logout are forms: they carry the token bound to the new session.
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Switch to English' }).click()]);
  t.is(await page.locator('html').getAttribute('lang'), 'en');
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('button', { name: 'Log out' }).click()]);
  t.is(await page.getByTestId('user-name').count(), 0);
});
