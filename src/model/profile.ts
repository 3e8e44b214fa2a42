// What a run records of the profile it was scanned with (in its stored options): the profile's
// name, and who owns what: each network's targets with its owner, site and tags, and the same for
// file sources. The inventory view reads it back to say who owns an endpoint or a certificate.
import { z } from "zod";

export interface Ownership {
  owner: string | null;
  site: string | null;
  tags: string[];
}

const ownershipFields = {
  owner: z.string().nullable(),
  site: z.string().nullable(),
  tags: z.array(z.string()),
};

const profileRecordSchema = z.object({
  name: z.string(),
  networks: z.array(z.object({
    name: z.string().nullable(),
    targets: z.array(z.string()),
    /** The ports the network is scanned on; null: the scan's ports. */
    ports: z.array(z.number()).nullable(),
    ...ownershipFields,
  })),
  files: z.array(z.object({ path: z.string(), ...ownershipFields })),
});

export type ProfileRecord = z.infer<typeof profileRecordSchema>;

/** The profile a run was scanned with, from its stored options; null for a run without one (or of a pkiscope that recorded none). */
export function profileRecordOf(runOptions: Readonly<Record<string, unknown>>): ProfileRecord | null {
  const parsed = profileRecordSchema.safeParse(runOptions.profile);
  return parsed.success ? parsed.data : null;
}
