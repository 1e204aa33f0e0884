/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code cluster-members} list: one {@code host:port} per node, node id = place in the list. Each node uses six
 * UDP ports from its port on; the offsets live here so every node derives the same endpoints. Immutable; any thread.
 */
public final class ClusterMembers
{
    /** Ports a node uses, from its base port. */
    public static final int PORTS_PER_NODE = 6;
    public static final int INGRESS_PORT_OFFSET = 0;
    public static final int CONSENSUS_PORT_OFFSET = 1;
    public static final int LOG_PORT_OFFSET = 2;
    public static final int CATCHUP_PORT_OFFSET = 3;
    public static final int ARCHIVE_PORT_OFFSET = 4;
    public static final int MESSAGES_PORT_OFFSET = 5;

    private final List<String> hosts;
    private final int[] ports;

    private ClusterMembers(final List<String> hosts, final int[] ports)
    {
        this.hosts = Collections.unmodifiableList(hosts);
        this.ports = ports;
    }

    /**
     * @param list {@code host:port,host:port,...}.
     * @return the members.
     * @throws IllegalArgumentException naming the entry that is not {@code host:port} with a port that leaves room
     *                                  for its six.
     */
    public static ClusterMembers parse(final String list)
    {
        final List<String> hosts = new ArrayList<>();
        final String[] entries = list.split(",");
        final int[] ports = new int[entries.length];
        for (int i = 0; i < entries.length; i++)
        {
            final String entry = entries[i].trim();
            final int colon = entry.lastIndexOf(':');
            if (colon <= 0 || colon == entry.length() - 1)
            {
                throw new IllegalArgumentException("'" + entry + "' is not host:port");
            }
            final int port;
            try
            {
                port = Integer.parseInt(entry.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("'" + entry + "' is not host:port", ex);
            }
            if (port < 1 || port > 65535 - PORTS_PER_NODE)
            {
                throw new IllegalArgumentException("'" + entry + "': port must be 1-" + (65535 - PORTS_PER_NODE));
            }
            hosts.add(entry.substring(0, colon));
            ports[i] = port;
        }
        return new ClusterMembers(hosts, ports);
    }

    /** @return null if the list parses, else why not; for the setting's check. */
    static String check(final String list)
    {
        try
        {
            parse(list);
            return null;
        }
        catch (final IllegalArgumentException ex)
        {
            return ex.getMessage();
        }
    }

    /** @return how many nodes. */
    public int count()
    {
        return ports.length;
    }

    /** @return node {@code id}'s host. */
    public String host(final int id)
    {
        return hosts.get(id);
    }

    /** @return node {@code id}'s port plus {@code offset} (one of the {@code _PORT_OFFSET}s). */
    public int port(final int id, final int offset)
    {
        return ports[id] + offset;
    }

    /** @return {@code host:port} of node {@code id}'s endpoint at {@code offset}. */
    public String endpoint(final int id, final int offset)
    {
        return hosts.get(id) + ":" + port(id, offset);
    }
}
