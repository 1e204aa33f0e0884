/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * {@code GET /connz}: who is connected, as JSON, paged and sorted like nats-server's {@code /connz}. The rows come
 * from a {@link PeerSnapshot} the broker thread filled; sorting, paging and formatting happen here, on an admin thread.
 * <pre>
 *   GET /connz[?offset=N][&amp;limit=N][&amp;sort=KEY]
 *       offset  rows to skip (default 0); limit rows to show (default 256, at most 1024)
 *       sort    cid (default, oldest connection first), start, name, msgs_in, msgs_out, bytes_in, bytes_out,
 *               pending (bytes queued), fill (bytes queued over their bound); counts and bytes largest first
 * </pre>
 */
final class Connz
{
    /** Rows shown when the request does not say. */
    static final int DEFAULT_LIMIT = 256;
    /** Most rows one response shows: a page, not a dump of every peer. */
    static final int MAX_LIMIT = 1024;
    /** The sort keys, as the query names them. */
    static final String[] SORTS = {"cid", "start", "name", "msgs_in", "msgs_out", "bytes_in", "bytes_out", "pending",
        "fill"};

    private Connz()
    {
    }

    /**
     * @return why the query cannot be served, or null when it can.
     */
    static String check(final String offset, final String limit, final String sort)
    {
        if (null != offset && parse(offset, 0, Integer.MAX_VALUE) < 0)
        {
            return "offset must be a number, 0 or more";
        }
        if (null != limit && parse(limit, 1, MAX_LIMIT) < 0)
        {
            return "limit must be 1 to " + MAX_LIMIT;
        }
        if (null != sort && !Arrays.asList(SORTS).contains(sort))
        {
            return "sort must be one of " + String.join(", ", SORTS);
        }
        return null;
    }

    /** @return the number, or -1 if it is not a decimal number in [min, max]. */
    static int parse(final String text, final int min, final int max)
    {
        if (text.isEmpty() || text.length() > 10)
        {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value < min || value > max ? -1 : (int)value;
    }

    /**
     * Sorts, pages and formats a filled snapshot. An admin thread, after {@link PeerSnapshot#isComplete()}.
     *
     * @param snapshot the rows.
     * @param offset   rows to skip.
     * @param limit    rows to show.
     * @param sort     one of {@link #SORTS}.
     * @param nowMs    the current time, epoch ms.
     * @param nowNs    the current {@link System#nanoTime()}, to turn connection times into wall-clock times.
     * @return the JSON text.
     */
    static String toJson(
        final PeerSnapshot snapshot,
        final int offset,
        final int limit,
        final String sort,
        final long nowMs,
        final long nowNs)
    {
        final int count = snapshot.count;
        final String[] names = new String[count];
        final Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
            names[i] = null == snapshot.names[i] ? null : snapshot.names[i].toString();
        }
        Arrays.sort(order, comparator(snapshot, names, sort));
        final int from = Math.min(offset, count);
        final int to = (int)Math.min(count, (long)from + limit);

        final StringBuilder json = new StringBuilder(256 + (to - from) * 320);
        json.append("{\"now\":\"").append(Instant.ofEpochMilli(nowMs)).append('"')
            .append(",\"total\":").append(snapshot.total())
            .append(",\"offset\":").append(offset)
            .append(",\"limit\":").append(limit)
            .append(",\"sort\":\"").append(sort).append('"')
            .append(",\"num_connections\":").append(to - from)
            .append(",\"connections\":[");
        for (int k = from; k < to; k++)
        {
            final int i = order[k];
            final long connectedMs = nowMs - (nowNs - snapshot.connections[i].acceptedNs()) / 1_000_000;
            json.append(k == from ? "" : ",")
                .append("{\"cid\":").append(snapshot.connections[i].id())
                .append(",\"name\":");
            if (null == names[i])
            {
                json.append("null");
            }
            else
            {
                string(json, names[i]);
            }
            json.append(",\"remote\":");
            string(json, snapshot.connections[i].remoteAddress());
            json.append(",\"tls\":").append(snapshot.connections[i].isTls())
                .append(",\"connected_since\":\"").append(Instant.ofEpochMilli(connectedMs)).append('"')
                .append(",\"uptime_s\":").append(String.format(Locale.ROOT, "%.1f", (nowMs - connectedMs) / 1000.0))
                .append(",\"msgs_in\":").append(snapshot.messagesIn[i])
                .append(",\"bytes_in\":").append(snapshot.bytesIn[i])
                .append(",\"msgs_out\":").append(snapshot.messagesOut[i])
                .append(",\"bytes_out\":").append(snapshot.bytesOut[i])
                .append(",\"pending_bytes\":").append(snapshot.queuedBytes[i])
                .append(",\"max_pending_bytes\":").append(snapshot.maxQueuedBytes[i])
                .append(",\"pending_fill\":").append(String.format(Locale.ROOT, "%.4f", fill(snapshot, i)))
                .append('}');
        }
        return json.append("]}").toString();
    }

    private static double fill(final PeerSnapshot snapshot, final int i)
    {
        return snapshot.maxQueuedBytes[i] <= 0 ? 0.0 : (double)snapshot.queuedBytes[i] / snapshot.maxQueuedBytes[i];
    }

    private static Comparator<Integer> comparator(final PeerSnapshot s, final String[] names, final String sort)
    {
        final Comparator<Integer> byId = Comparator.comparingLong(i -> s.connections[i].id());
        final Comparator<Integer> key;
        switch (sort)
        {
            case "start":
                key = Comparator.comparingLong(i -> s.connections[i].acceptedNs());
                break;
            case "name":
                key = Comparator.comparing(i -> names[i], Comparator.nullsLast(Comparator.naturalOrder()));
                break;
            case "msgs_in":
                key = Comparator.comparingLong((Integer i) -> s.messagesIn[i]).reversed();
                break;
            case "msgs_out":
                key = Comparator.comparingLong((Integer i) -> s.messagesOut[i]).reversed();
                break;
            case "bytes_in":
                key = Comparator.comparingLong((Integer i) -> s.bytesIn[i]).reversed();
                break;
            case "bytes_out":
                key = Comparator.comparingLong((Integer i) -> s.bytesOut[i]).reversed();
                break;
            case "pending":
                key = Comparator.comparingLong((Integer i) -> s.queuedBytes[i]).reversed();
                break;
            case "fill":
                key = Comparator.comparingDouble((Integer i) -> fill(s, i)).reversed();
                break;
            default:
                return byId;
        }
        return key.thenComparing(byId);
    }

    /** Appends a JSON string: quotes, backslashes and control characters escaped, the rest as it is (UTF-8). */
    static void string(final StringBuilder json, final String text)
    {
        json.append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c == '"' || c == '\\')
            {
                json.append('\\').append(c);
            }
            else if (c < 0x20 || c == 0x2028 || c == 0x2029 || (c >= 0x7F && c <= 0x9F))
            {
                json.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                json.append(c);
            }
        }
        json.append('"');
    }
}
