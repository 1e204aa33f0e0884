/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.UnsafeBuffer;

import io.tern.broker.ClusterMembers;

/**
 * Cluster nodes without brokers: each a {@link ClusterNode} whose agent runs on its own runner and whose events are
 * recorded, for tests of the directory and the links. Test thread only.
 */
final class TestNodes implements AutoCloseable
{
    final ClusterNode[] nodes;
    final RecordingEvents[] events;
    final AgentRunner[] runners;
    final File dir;

    private final ClusterMembers members;
    private final long sessionTimeoutMs;

    TestNodes(final int count, final long sessionTimeoutMs) throws Exception
    {
        dir = Files.createTempDirectory("tern-cluster-test").toFile();
        members = ClusterMembers.parse(ClusterPorts.members(count));
        this.sessionTimeoutMs = sessionTimeoutMs;
        nodes = new ClusterNode[count];
        events = new RecordingEvents[count];
        runners = new AgentRunner[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                start(i);
            }
        }
        catch (final RuntimeException ex)
        {
            close(); // the nodes started so far: an open member keeps the JVM from exiting
            throw ex;
        }
    }

    /** Starts a node (again, after {@link #stop}: with empty files, it catches up from the others), with new events. */
    void start(final int node)
    {
        events[node] = new RecordingEvents();
        nodes[node] = new ClusterNode(members, node, new File(dir, "node-" + node), sessionTimeoutMs, 1000, 0, 1024,
            events[node], null, null, Throwable::printStackTrace, null);
        runners[node] = new AgentRunner(nodes[node].idleStrategy(), Throwable::printStackTrace, null,
            nodes[node].agent());
        AgentRunner.startOnThread(runners[node]);
    }

    /** @return the members' addresses. */
    ClusterMembers members()
    {
        return members;
    }

    void awaitConnected(final long timeoutMs)
    {
        for (int i = 0; i < nodes.length; i++)
        {
            final int node = i;
            await(() -> events[node].has("connected"), timeoutMs, "node " + i + " joins the directory");
        }
    }

    /** Claims a name on a node through its link (as the Router would), on the calling thread. */
    boolean claim(final int node, final long claimId, final String name)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return nodes[node].claim(claimId, buffer, 0, buffer.capacity());
    }

    boolean release(final int node, final String name)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return nodes[node].release(buffer, 0, buffer.capacity());
    }

    /** Closes a node in order: its agent closes its cluster session, which releases its names at once. */
    void stop(final int node)
    {
        CloseHelper.quietClose(runners[node]);
        CloseHelper.quietClose(nodes[node]);
        runners[node] = null;
        nodes[node] = null;
    }

    /**
     * Stops a node as {@code kill -9} would, as far as the directory can tell: its member (media driver, consensus
     * module, service) goes first, so its cluster client's goodbye reaches no one; then its agent and Aeron client.
     */
    void kill(final int node)
    {
        nodes[node].closeMemberForTests();
        stop(node);
    }

    /** @return the node whose member leads the directory, once one does (by the consensus modules' role counters). */
    int awaitLeader(final long timeoutMs)
    {
        final int[] leader = {-1};
        await(() ->
        {
            for (int i = 0; i < nodes.length; i++)
            {
                if (null != nodes[i] && nodes[i].memberRole() == io.tern.broker.ClusterLink.ROLE_LEADER)
                {
                    leader[0] = i;
                    return true;
                }
            }
            return false;
        }, timeoutMs, "a member leads the directory");
        return leader[0];
    }

    static void await(final BooleanSupplier condition, final long timeoutMs, final String what)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting until " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
            try
            {
                Thread.sleep(1); // a poll interval, not synchronisation: the condition decides
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }

    @Override
    public void close()
    {
        for (int i = 0; i < nodes.length; i++)
        {
            CloseHelper.quietClose(runners[i]);
        }
        for (int i = 0; i < nodes.length; i++)
        {
            CloseHelper.quietClose(nodes[i]);
        }
        IoUtil.delete(dir, true);
    }
}
