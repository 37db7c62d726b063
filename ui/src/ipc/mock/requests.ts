// Requests from outside the window (the tray, `--connect NAME`, a podterm:// link), as the app
// sends them on watch_requests: those made before the UI listened are held, then delivered.
import type { AppRequest } from "../types";
import { later } from "./tasks";

export class MockRequests {
  private sink: ((r: AppRequest) => void) | null = null;
  private readonly held: AppRequest[] = [];

  push(r: AppRequest): void {
    const sink = this.sink;
    if (sink) later(() => sink(r));
    else if (r.kind === "openFavourite") this.held.push(r);
  }

  /** The UI listens from now on; held requests come first. */
  listen(onRequest: (r: AppRequest) => void): void {
    this.sink = onRequest;
    for (const r of this.held.splice(0, this.held.length)) later(() => onRequest(r));
  }

  get listening(): boolean {
    return this.sink !== null;
  }
}
