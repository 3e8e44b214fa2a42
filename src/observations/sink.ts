// What a collector hands its observations to. The recorder implements it; collectors see only
// this interface, never the recorder's internals or the store behind it.
import type { DirectorySnapshotRow } from "../store/store.js";
import type { CertificateSighting, EndpointObservation } from "../model/types.js";
import type { AiaFetch, CrlFetch, OcspExchange } from "../model/revocation.js";
import type { FileRecord, PrivateKeyRecord } from "../model/keys.js";

export interface ObservationSink {
  /** An endpoint probed, with a sighting for each certificate of its chain. */
  addEndpoint(observation: EndpointObservation): Promise<void>;
  /** A certificate seen somewhere (a file, a directory, an AIA URL). */
  addSighting(sighting: CertificateSighting): Promise<void>;
  /** A structured directory snapshot (AD CS configuration). */
  addSnapshot(snapshot: DirectorySnapshotRow): Promise<void>;
  /** A CRL fetched or read, with its DER when one was received. */
  addCrl(fetch: CrlFetch, der: Buffer | null): Promise<void>;
  addOcsp(exchange: OcspExchange): Promise<void>;
  addAia(fetch: AiaFetch): Promise<void>;
  /** A private key found in a scanned file: facts about it, never the key. */
  addPrivateKey(key: PrivateKeyRecord): Promise<void>;
  /** A keystore, or a file that could not be read whole. */
  addFileRecord(record: FileRecord): Promise<void>;
}
