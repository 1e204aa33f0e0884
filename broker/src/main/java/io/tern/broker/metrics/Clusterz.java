/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * {@code GET /clusterz}: this node's view of the cluster as JSON, in the spirit of nats-server's {@code /routez}: the
 * node, its place in the directory, each link to another node with its counters, the names held per node, and the
 * claims' latency. The names come from a {@link NameSnapshot} the broker thread filled; the rest are counters any
 * thread may read. Formatted on an admin thread.
 * <pre>
 *   GET /clusterz[?names=N]    names listed per node, sorted (default 256, 0 for counts only, at most 10000)
 * </pre>
 * Without a cluster: {@code {"cluster":false}}.
 */
final class Clusterz
{
    /** Names listed per node when the request does not say. */
    static final int DEFAULT_NAMES = 256;
    /** Most names listed per node: a page of them, not a dump of a large cluster. */
    static final int MAX_NAMES = 10_000;
    static final String NO_CLUSTER = "{\"cluster\":false}";
    private static final String[] ROLES = {"follower", "candidate", "leader"};

    private Clusterz()
    {
    }

    /** @return the role's name: follower, candidate, leader or unknown. */
    static String role(final int code)
    {
        return code >= 0 && code < ROLES.length ? ROLES[code] : "unknown";
    }

    /**
     * @param cluster  the node's counters and links.
     * @param names    the names, filled by the broker thread.
     * @param perNode  names to list per node.
     * @param nowMs    the current time, epoch ms.
     * @return the JSON text.
     */
    static String toJson(final ClusterMetricsSource cluster, final NameSnapshot names, final int perNode,
        final long nowMs)
    {
        final int nodes = cluster.nodeCount();
        final int self = (int)cluster.nodeId();
        final List<List<String>> byNode = new ArrayList<>(nodes);
        for (int node = 0; node < nodes; node++)
        {
            byNode.add(new ArrayList<>());
        }
        for (int i = 0; i < names.count; i++)
        {
            if (names.nodes[i] >= 0 && names.nodes[i] < nodes)
            {
                byNode.get(names.nodes[i]).add(names.names[i].toString());
            }
        }
        final Histogram claims = cluster.claimLatency().sinceStart();

        final StringBuilder json = new StringBuilder(1024);
        json.append("{\"cluster\":true")
            .append(",\"now\":\"").append(Instant.ofEpochMilli(nowMs)).append('"')
            .append(",\"node_id\":").append(self)
            .append(",\"nodes\":").append(nodes)
            .append(",\"connected\":").append(cluster.connected() == 1)
            .append(",\"role\":\"").append(role(cluster.memberRole())).append('"')
            .append(",\"leader_id\":").append(cluster.leaderMemberId())
            .append(",\"names_known\":").append(names.total())
            .append(",\"claims\":{\"total\":").append(cluster.claims())
            .append(",\"granted\":").append(cluster.claimsGranted())
            .append(",\"taken\":").append(cluster.claimsTaken())
            .append(",\"unavailable\":").append(cluster.claimsUnavailable())
            .append(",\"answered\":").append(claims.getTotalCount())
            .append(",\"latency_ms\":{\"p50\":").append(ms(claims, 50.0))
            .append(",\"p99\":").append(ms(claims, 99.0))
            .append(",\"max\":").append(ms(claims, 100.0))
            .append("}}")
            .append(",\"peers_dropped_on_loss\":").append(cluster.peersDroppedOnLoss())
            .append(",\"links\":[");
        boolean first = true;
        for (int node = 0; node < nodes; node++)
        {
            if (node == self)
            {
                continue;
            }
            json.append(first ? "" : ",")
                .append("{\"node\":").append(node)
                .append(",\"publication_connected\":").append(cluster.linkConnected(node))
                .append(",\"image_present\":").append(cluster.linkImagePresent(node))
                .append(",\"msgs_sent\":").append(cluster.framesSent(node))
                .append(",\"bytes_sent\":").append(cluster.bytesSent(node))
                .append(",\"msgs_received\":").append(cluster.framesReceived(node))
                .append(",\"bytes_received\":").append(cluster.bytesReceived(node))
                .append(",\"send_failures\":").append(cluster.sendsFailed(node))
                .append(",\"back_pressure_events\":").append(cluster.backPressureEvents(node))
                .append('}');
            first = false;
        }
        json.append("],\"names\":[");
        for (int node = 0; node < nodes; node++)
        {
            final List<String> held = byNode.get(node);
            Collections.sort(held);
            json.append(node == 0 ? "" : ",")
                .append("{\"node\":").append(node)
                .append(",\"count\":").append(held.size())
                .append(",\"names\":[");
            for (int i = 0; i < Math.min(perNode, held.size()); i++)
            {
                if (i > 0)
                {
                    json.append(',');
                }
                Connz.string(json, held.get(i));
            }
            json.append("]}");
        }
        return json.append("]}").toString();
    }

    /** @return the percentile in milliseconds, three decimals; 0 when nothing was recorded. */
    private static String ms(final Histogram histogram, final double percentile)
    {
        if (histogram.getTotalCount() == 0)
        {
            return "0";
        }
        final long ns = percentile >= 100.0 ? histogram.getMaxValue() : histogram.getValueAtPercentile(percentile);
        return String.format(Locale.ROOT, "%.3f", ns / 1e6);
    }
}
