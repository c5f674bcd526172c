// The diff lives in @spool/core (internal entry), which applies it in Spooler.reload(); the daemon reports it.
export { diffProfiles, type ProfileDiff } from '@spool/core/internal';
