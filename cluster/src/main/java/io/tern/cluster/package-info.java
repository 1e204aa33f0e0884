/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Several broker nodes as one broker: the name directory on Aeron Cluster, the links between nodes on Aeron UDP
 * publications, and the agent that hands what arrives to the broker's ring (docs/cluster.md).
 * <pre>
 *   thread                      owns
 *   cluster                     ClusterAgent: the node's cluster client (ingress, egress, reconnects, liveness pings),
 *                               the links' subscriptions; publishes into the broker's ring (ClusterEvents)
 *   broker / shared             the Router's side of ClusterNode: the exclusive publications to the other nodes and
 *                               the producer side of the claim/release queue to the cluster agent
 *   aeron's own (shared mode)   the media driver (also carrying the links), the archive, the consensus module and the
 *                               NameDirectory service's container: one thread each, parked when idle
 *   main                        AeronClusterProvider / ClusterNode construction and close
 * </pre>
 * NameDirectory's state is replicated by Raft: it changes only in the service's callbacks, on the container's thread.
 */
package io.tern.cluster;
