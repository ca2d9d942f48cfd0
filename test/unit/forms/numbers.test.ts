import test from 'ava';
import { parseVnNumber, formatVnNumber } from '../../../src/forms/numbers.ts';

test('Vietnamese number text is parsed with dot thousands and comma decimals', (t) => {
  t.is(parseVnNumber('1.234,5'), 1234.5);
  t.is(parseVnNumber('12,5'), 12.5);
  t.is(parseVnNumber('2.000.000'), 2000000);
  t.is(parseVnNumber('1.234'), 1234);
  t.is(parseVnNumber('1,234.5'), 1234.5);
  t.is(parseVnNumber('-0,75'), -0.75);
  t.is(parseVnNumber('12,5 %'), 12.5);
  t.is(parseVnNumber('3.5'), 3.5);
});

test('text that is not a number is refused', (t) => {
  for (const s of ['12,5a', '', 'abc', '1,2,3', '1.2.3,4,5', '--1']) t.is(parseVnNumber(s), null, s);
});

test('numbers are formatted the Vietnamese way', (t) => {
  t.is(formatVnNumber(1234.5), '1.234,5');
  t.is(formatVnNumber(1234567, 0), '1.234.567');
  t.is(formatVnNumber(-0.5, 2), '-0,50');
  t.is(formatVnNumber(null), '');
});
