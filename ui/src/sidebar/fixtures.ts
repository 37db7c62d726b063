// Pods for the sidebar's unit tests.
import type { PodSummary } from "../ipc/types";

/** A running, ready, bare pod in namespace demo with one container `main`, changed by `extra`. */
export function pod(name: string, extra: Partial<PodSummary> = {}): PodSummary {
  return {
    owner: null,
    name,
    namespace: "demo",
    phase: "Running",
    ready: "1/1",
    restarts: 0,
    createdAt: "2025-01-10T11:55:00Z",
    containers: ["main"],
    ephemeralContainers: [],
    defaultContainer: "main",
    terminating: false,
    reason: null,
    node: "node-1",
    ips: ["10.0.0.1"],
    ports: [],
    ...extra,
  };
}
