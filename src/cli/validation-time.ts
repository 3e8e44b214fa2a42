// --at TIME: the validation time of `scan` and `report`, as ISO 8601. A date-time must carry its
// offset (Z or ±hh:mm): the same command judges the same moment on every machine, whatever its
// time zone. A bare date is midnight UTC.
import { z } from "zod";
import { UsageError } from "../errors.js";

const ISO_TIME = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export function parseValidationTime(text: string, option = "--at"): Date {
  if (!ISO_TIME.safeParse(text).success) {
    throw new UsageError(`${option} takes an ISO 8601 date (2027-03-01) or date-time with its offset (2027-03-01T09:00:00Z), not "${text}"`);
  }
  return new Date(text);
}
