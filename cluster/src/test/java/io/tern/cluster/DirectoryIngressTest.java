/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;

import io.aeron.cluster.ElectionState;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.ClusterLink;

import static io.tern.broker.ClusterMembers.INGRESS_PORT_OFFSET;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A member's ingress port taken by another socket while the member is in an election (its consensus module has no
 * ingress subscription then): the nodes must still join the directory once that member leads.
 * <p>
 * What it caught: ClusterBrokersTest's rejoin after a restart failed now and then; no node joined the directory for
 * 60 s, each connect timing out while waiting for the leader's ingress. The leader's media driver had failed once to
 * bind its ingress port when its election ended (the port was busy: still held by the member's own previous socket,
 * or given to another socket), and Aeron 1.47's driver keeps such an endpoint: each later ingress subscription was
 * accepted and heard nothing. Here that happens whether or not the socket below gets the port. The member now holds
 * its ingress endpoint bound from start to close (see {@link DirectoryMember}).
 */
class DirectoryIngressTest
{
    private static final long SESSION_TIMEOUT_MS = 4000;

    private TestNodes cluster;
    private DatagramSocket squatter;

    @AfterEach
    void close()
    {
        CloseHelper.quietClose(squatter);
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    @Timeout(120)
    void shouldJoinALeaderWhoseIngressPortWasTakenDuringItsElection() throws Exception
    {
        cluster = new TestNodes(3, SESSION_TIMEOUT_MS);
        cluster.awaitConnected(30_000);

        // Node 0 is left alone, a minority: its member stays in an election, and it keeps the only log.
        cluster.kill(2);
        cluster.stop(1);
        TestNodes.await(() -> cluster.events[0].has("lost"), 20_000, "node 0 loses the directory");
        final int linesBeforeRejoin = cluster.events[0].lines.size();

        // Another socket takes node 0's ingress port if it can (a socket bound to port 0 elsewhere may be given it).
        final InetSocketAddress ingress = new InetSocketAddress(
            cluster.members().host(0), cluster.members().port(0, INGRESS_PORT_OFFSET));
        final long grabDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (null == squatter && System.nanoTime() - grabDeadlineNs < 0)
        {
            try
            {
                squatter = new DatagramSocket(ingress);
            }
            catch (final SocketException ex)
            {
                Thread.sleep(10); // a poll interval: the port may be released a moment after the subscription
            }
        }

        // Node 1 comes back empty: node 0 must lead. The port is given back once its election is over.
        cluster.start(1);
        if (null != squatter)
        {
            TestNodes.await(() -> cluster.nodes[0].memberRole() == ClusterLink.ROLE_LEADER &&
                cluster.nodes[0].electionState() == ElectionState.CLOSED.code(), 30_000, "node 0 leads");
            squatter.close();
        }
        TestNodes.await(() -> cluster.events[0].lines.subList(linesBeforeRejoin, cluster.events[0].lines.size())
            .contains("connected") && cluster.events[1].has("connected"), 30_000, "nodes 0 and 1 join again");
        assertNull(squatter, "node 0's ingress port was free during its election");
    }
}
