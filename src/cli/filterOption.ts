/** The help text of the report filters, shared by analyze, explain and correlate (pipeline/filter.ts). */

/** Help lines for --host, --net, --port, --since, --until. */
export const FILTER_HELP = `      --host ADDR    report only connections (and their resets) with ADDR (IPv4 or IPv6) at
                     either end; --net PREFIX likewise for 10.0.0.0/8 or 2001:db8::/32;
                     --port N for N at either end. Each repeatable (OR); kinds combine (AND).
                     The tracker still reads every packet, so explanations keep their context;
                     the summary counts what is reported and "filtered_out" what is not
      --since T, --until T  report resets from/to T, and connections that overlap it: T is
                     a UTC time (2024-05-01T10:00:00, a zone if given, or epoch seconds) or
                     a duration (90s, 30m, 2h, 1d) after the first packet of the earliest
                     capture (not before now: a capture's time is its own)`;
