// A worker's credential: its pod token, HMAC(cluster secret, container id), made by its agent. The token speaks for
// that one container's pod: a FetchTask is about the pod whose container the token names, in the job that pod belongs
// to. A report that claims another pod or another job is refused before anything is recorded.
import { createHmac, timingSafeEqual } from "node:crypto";
import { PermissionDeniedError, UnauthenticatedError } from "../core/errors.ts";

export function podTokenOf(secret: string, containerId: string): string {
  return createHmac("sha256", secret).update(containerId).digest("hex");
}

/** Throws UnauthenticatedError unless `token` is the pod token of `containerId` (constant time). */
export function verifyPodToken(secret: string, containerId: string, token: string): void {
  const want = Buffer.from(podTokenOf(secret, containerId), "hex");
  const got = Buffer.from(token, "hex");
  if (secret === "" || got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new UnauthenticatedError(`bad pod token for ${containerId}`);
  }
}

/** The job a container belongs to by its id (`${job}.${index}`, as ResMan names containers). */
export const jobOfContainer = (containerId: string): string => {
  const dot = containerId.lastIndexOf(".");
  return dot > 0 ? containerId.slice(0, dot) : "";
};

/**
 * A token-checked report may name only its own pod: the pod id is the container id, and the job is the one AppMaster
 * knows the pod by (`knownJob`), or, for a pod it does not know yet, the one in the container's id.
 */
export function checkPodClaim(req: { containerId: string; podId: string; jobId: string }, knownJob: string | undefined): void {
  const job = knownJob ?? jobOfContainer(req.containerId);
  if (req.podId === req.containerId && req.jobId === job && job !== "") return;
  throw new PermissionDeniedError(
    `the pod token of container ${req.containerId} may report only for pod ${req.containerId} of job ${job || "?"}, not for pod ${req.podId} of job ${req.jobId}`,
  );
}
