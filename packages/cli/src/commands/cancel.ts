import type { Command } from '../context.js';
import { viaDaemon } from '../daemon-client.js';
import { ExitCode } from '../errors.js';
import { loadCliProfile } from '../host.js';
import { type MessageJson, messageJson, outcomeSummary, redactorOf } from '../messages.js';
import { withSpooler } from '../spooler.js';

/**
 * `spool cancel <id>`: cancels a queued message through the spooler (the daemon's, when one runs, so an
 * in-flight hand-off is aborted there), which also tells the logons that deferred it (abort-deferred).
 * Delivered recipients stay delivered; the message goes to Deleted.
 */
export const cancel: Command = async (context) => {
  const { args, options, out } = context;
  const id = args[0] ?? '';
  const profile = await loadCliProfile(context);
  const json =
    (await viaDaemon(profile, (daemon) =>
      daemon.request<MessageJson>('POST', `/messages/${encodeURIComponent(id)}/cancel`),
    )) ??
    (await withSpooler(
      context,
      async (spooler) => messageJson(await spooler.cancel(id), redactorOf(profile)),
      profile,
    ));
  if (options.json) out.json(json);
  else
    out.line(`${out.style.green('cancelled')} ${json.id} (${outcomeSummary(json)}); it is in ${json.folder}`);
  return ExitCode.OK;
};
