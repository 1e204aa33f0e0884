/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Several broker nodes as one broker: the name directory on Aeron Cluster, the links between nodes on Aeron UDP
 * publications, and the agent that hands what arrives to the broker's ring (docs/cluster.md).
 * <pre>
 *   thread                      owns
 *   cluster                     ClusterAgent: the node's cluster client (ingress, egress, reconnects, liveness pings);
 *                               publishes into the broker's ring (ClusterEvents); with dedicated threads, also reads
 *                               the links' subscriptions
 *   shared (default threading)  the Router's side of ClusterNode: the exclusive publications to the other nodes, the
 *                               producer side of the claim/release queue to the cluster agent; and the links' own
 *                               media driver and Aeron client (LinkDriver, invoker mode), whose sockets its selector
 *                               watches, and the links' subscriptions
 *   broker (dedicated)          the Router's side of ClusterNode, as above; the links then go through the member's
 *                               media driver
 *   aeron's own (shared mode)   the directory member's media driver, its archive, consensus module and NameDirectory
 *                               service container: one thread each, parked when idle
 *   main                        AeronClusterProvider / ClusterNode construction and close
 * </pre>
 * NameDirectory's state is replicated by Raft: it changes only in the service's callbacks, on the container's thread.
 */
package io.tern.cluster;
