/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.nio.channels.SelectableChannel;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;

import io.tern.broker.BrokerConfig;
import io.tern.broker.ClusterEvents;
import io.tern.broker.ClusterLink;
import io.tern.broker.ClusterMembers;
import io.tern.broker.ClusterProvider;

import static io.tern.broker.Settings.CLUSTER_DIR;
import static io.tern.broker.Settings.CLUSTER_LINK_MTU;
import static io.tern.broker.Settings.CLUSTER_LINK_TIMEOUT_MS;
import static io.tern.broker.Settings.CLUSTER_MEMBERS;
import static io.tern.broker.Settings.CLUSTER_NODE_ID;
import static io.tern.broker.Settings.CLUSTER_SESSION_TIMEOUT_MS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;

/**
 * The broker's cluster on Aeron and Aeron Cluster, found by the broker with {@link java.util.ServiceLoader} when
 * {@code cluster-members} is set (META-INF/services). Called once, on the thread that launches the broker.
 */
public final class AeronClusterProvider implements ClusterProvider
{
    private static final System.Logger LOG = System.getLogger(AeronClusterProvider.class.getName());

    /**
     * Tests only: given a node's id, what to adjust on its member's contexts before they start (a partition test's
     * switchable lossy endpoints), or null; null in production. Read once per node start.
     */
    static volatile IntFunction<DirectoryMember.TestHook> testHook;

    @Override
    public ClusterLink start(
        final BrokerConfig config, final ClusterEvents events, final ClusterEvents linkEvents,
        final BiConsumer<SelectableChannel, Runnable> watchLinkSocket)
    {
        final ClusterMembers members = ClusterMembers.parse(config.get(CLUSTER_MEMBERS));
        final int nodeId = config.get(CLUSTER_NODE_ID);
        final Path dir = config.get(CLUSTER_DIR);
        final File baseDir = null != dir ? dir.toFile() :
            new File(System.getProperty("java.io.tmpdir"), "tern-cluster-" + nodeId);
        final int maxFrameBytes = 5 + 2 * config.get(MAX_NAME_BYTES) + config.get(MAX_LINE_BYTES);
        LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " of " + members.count() + ", files in " +
            baseDir);
        final IntFunction<DirectoryMember.TestHook> hook = testHook;
        return new ClusterNode(members, nodeId, baseDir, config.get(CLUSTER_SESSION_TIMEOUT_MS),
            config.get(CLUSTER_LINK_TIMEOUT_MS), config.get(CLUSTER_LINK_MTU), maxFrameBytes, events, linkEvents,
            watchLinkSocket, ex -> LOG.log(System.Logger.Level.WARNING, "cluster: " + ex, ex),
            null == hook ? null : hook.apply(nodeId));
    }
}
