/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;

import io.tern.broker.ClusterMembers;

/**
 * Fixed UDP ports for test clusters (Aeron Cluster's members need known endpoints; port 0 cannot serve): blocks of
 * {@link ClusterMembers#PORTS_PER_NODE} ports per node in 26000-31999, the range kept for the cluster's tests, each
 * block checked free on loopback before use. Shared through this module's test-jar with the loadgen's tests, which
 * start clusters too (Maven runs the two modules' tests one after the other).
 * <p>
 * Below the kernel's range for port 0 (Linux's default starts at 32768; macOS and Windows at 49152): a member binds
 * some of its ports only later (Aeron's log and catch-up endpoints when it follows), and a port in that range may be
 * given meanwhile to any socket bound to port 0 on the machine, this JVM's own Aeron sockets among them. The range
 * 36000-37999 used before did so: a node restarted in a test could find a port of its own taken.
 */
public final class ClusterPorts
{
    private static final int LOW = 26000;
    private static final int HIGH = 32000;

    private ClusterPorts()
    {
    }

    /** @return {@code cluster-members} for {@code nodes} nodes on 127.0.0.1, every port free when checked. */
    public static String members(final int nodes)
    {
        final int span = nodes * ClusterMembers.PORTS_PER_NODE;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            final int base = LOW + ThreadLocalRandom.current().nextInt((HIGH - LOW - span) / 8) * 8;
            if (allFree(base, span))
            {
                final StringBuilder sb = new StringBuilder();
                for (int i = 0; i < nodes; i++)
                {
                    sb.append(i == 0 ? "" : ",").append("127.0.0.1:").append(base + i * ClusterMembers.PORTS_PER_NODE);
                }
                return sb.toString();
            }
        }
        throw new IllegalStateException("no free block of " + span + " UDP ports in " + LOW + "-" + HIGH);
    }

    private static boolean allFree(final int base, final int span)
    {
        for (int port = base; port < base + span; port++)
        {
            try (DatagramSocket socket = new DatagramSocket(null))
            {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
            catch (final Exception ex)
            {
                return false;
            }
        }
        return true;
    }
}
