import { SETTINGS } from '../../core/config';
import { joinNegativeValues, OPTIONS, parseCommandLine, usage } from './args';

describe('joinNegativeValues', () => {
  it('joins a string flag with a negative number after it', () => {
    expect(joinNegativeValues(['score', 'x', '--pad-sec', '-1', '--threads', '-.5'])).toEqual(['score', 'x', '--pad-sec=-1', '--threads=-.5']);
  });

  it('leaves switches, flags followed by flags, and everything after -- alone', () => {
    expect(joinNegativeValues(['--json', '-1', '--out', '--json', '--', '--pad-sec', '-1'])).toEqual(['--json', '-1', '--out', '--json', '--', '--pad-sec', '-1']);
  });
});

describe('the CLI options', () => {
  it('accept every setting that has a flag, and the help lists each of them', () => {
    for (const s of SETTINGS) {
      if (!s.flag) continue;
      expect([s.flag, OPTIONS[s.flag] !== undefined]).toEqual([s.flag, true]);
      expect([s.flag, usage().includes(`--${s.flag} `)]).toEqual([s.flag, true]);
    }
  });

  it('parse a negative value as the value', () => {
    expect(parseCommandLine(['score', 'x', '--pad-sec', '-1']).flags['pad-sec']).toBe('-1');
  });
});
