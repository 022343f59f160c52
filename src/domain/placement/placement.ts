/**
 * Where a version runs on a cluster runtime, in runtime-neutral words (a Swarm service's tasks, later a Kubernetes
 * Deployment's pods). A single Docker host reports none: its one container is the `container` line of `status`.
 */
export interface PlacedTask {
  /** The node's name (its hostname; its address when several nodes share a hostname). */
  node: string;
  /** The node's address, where the task answers. */
  addr: string;
  /** `ready`; anything else (`down`, `disconnected`, `unknown`) means the node is not serving. */
  nodeState: string;
  /** The runtime's word for the task: running, starting, pending, failed, shutdown, … */
  state: string;
  /** What the runtime wants of it: running, or shutdown (scaled down, replaced). */
  desired: string;
  /** It runs, passed its healthcheck, and its node is up: it takes traffic. */
  serving: boolean;
  /** How many tasks of this version failed on this node before (each replaced by the runtime). */
  restarts: number;
  /** The runtime's last message for it (an error, "no suitable node", …). */
  message: string;
}

export interface Placement {
  /** Tasks the version asks for (0: scaled down, kept for an instant rollback). */
  wanted: number;
  /** Its tasks that take traffic now. */
  serving: number;
  /** One per node the version has a task on (its newest), then the tasks not placed on any node. */
  tasks: PlacedTask[];
  /** Every node of the cluster that is not up, by name: a task of the version may be missing because of it. */
  downNodes: string[];
}

/** What retention did to a pruned image on the cluster's nodes besides the one deckhand talks to. */
export interface NodeImageRemoval {
  /** Nodes the image was removed from (or was already absent on). */
  removedOn: string[];
  /** Nodes deckhand cannot reach (no engine given for them): the image may still be there. */
  leftOn: string[];
  /** Nodes whose engine refused or did not answer, with why. */
  failures: string[];
}
