import { Activity, LogonSupport, Redactor, StatusTable } from '@spool/core/internal';
import { describe, expect, it } from 'vitest';

const preprocessor = {
  name: 'p',
  async preprocess() {
    return { info: null };
  },
  async removePreprocessInfo() {},
};

function support(invalid: string[] = []) {
  return new LogonSupport({
    logonId: 'x/default',
    account: 'default',
    logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
    dataDir: '/tmp',
    host: {
      statusTable: new StatusTable(),
      redactor: new Redactor(),
      activity: new Activity(),
      onNewMail() {},
      onCriticalSection() {},
      onInvalidCall: (member) => invalid.push(member),
    },
  });
}

describe('the logon support object', () => {
  it('takes preprocessors during transportLogon only', () => {
    const s = support();
    s.registerPreprocessor(preprocessor);
    s.closeRegistration();
    expect(() => s.registerPreprocessor(preprocessor)).toThrow(
      expect.objectContaining({ code: 'SPOOL_E_BAD_SHAPE' }),
    );
    expect(s.preprocessors).toHaveLength(1);
  });

  it('after logoff, every member throws SPOOL_E_SUPPORT_INVALID and the host hears of each call', () => {
    const invalid: string[] = [];
    const s = support(invalid);
    s.invalidate();
    expect(() => s.notifyNewMail()).toThrow(expect.objectContaining({ code: 'SPOOL_E_SUPPORT_INVALID' }));
    expect(() => s.dataDir).toThrow(expect.objectContaining({ code: 'SPOOL_E_SUPPORT_INVALID' }));
    expect(invalid).toEqual(['notifyNewMail', 'dataDir']);
  });
});
