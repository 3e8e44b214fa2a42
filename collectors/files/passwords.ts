// The passwords a keystore or an encrypted key is tried with, in a module of its own so that
// reading a key file does not load the keystore libraries (node-forge, jks-js).
//
// Passwords tried, in order: the one given (--keystore-password-env), then two that are public
// knowledge: the empty password (what `openssl pkcs12 -passout pass:` and many "no password"
// exports use) and "changeit" (the JDK's default store password, left on countless copies of
// it). A store either of those opens is as readable as an unencrypted file, and is reported so.
import { messageOf } from "../../src/pki/certificate.js";

export type PasswordAccess = "given-password" | "empty-password" | "default-password";

/** The passwords to try, each with the access it stands for when it opens something. */
export function passwordCandidates(given: string | null): { password: string; access: PasswordAccess }[] {
  const wellKnown = [{ password: "", access: "empty-password" as const }, { password: "changeit", access: "default-password" as const }];
  return [...(given !== null ? [{ password: given, access: "given-password" as const }] : []), ...wellKnown.filter((k) => k.password !== given)];
}

/** The first candidate `open` succeeds with, or the error of the first (the given password's) failure. */
export function openWithCandidates<T>(given: string | null, open: (password: string) => T): { value: T; access: PasswordAccess } | { error: string } {
  let firstError: string | null = null;
  for (const { password, access } of passwordCandidates(given)) {
    try {
      return { value: open(password), access };
    } catch (err) {
      firstError ??= messageOf(err);
    }
  }
  return { error: firstError ?? "no password to try" };
}
