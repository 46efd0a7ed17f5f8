using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>What a <see cref="LeanHttpConnection"/> read: the status code and the length of the (decoded) body.</summary>
public readonly record struct LeanHttpResponse(int Status, long BodyLength);

/// <summary>
/// A minimal HTTP/1.1 keep-alive load generator for one server: GETs of a fixed set of paths (each
/// request encoded once) and POSTs of JSON bodies, one connection per worker. HttpClient and
/// SocketsHttpHandler cost about 25 µs of CPU per request, and the load generator shares the two cores
/// with the servers it measures, so it would take a share of the CPU that the ratio is meant to compare.
/// This client does no more than a request needs: write the request bytes, read the status line and
/// headers, consume the body (Content-Length, chunked, or up to the close), and reuse the connection.
/// </summary>
public sealed class LeanHttpClient : IDisposable
{
    private readonly byte[][] _requests;
    private readonly LeanHttpConnection[] _connections;
    private readonly string _root;
    private readonly string _host;

    public LeanHttpClient(Uri baseAddress, IReadOnlyList<string> paths, int connections)
    {
        var address = IPAddress.TryParse(baseAddress.Host, out var parsed) ? parsed : Dns.GetHostAddresses(baseAddress.Host)[0];
        var endPoint = new IPEndPoint(address, baseAddress.Port);
        _root = baseAddress.AbsolutePath.TrimEnd('/');
        _host = $"{baseAddress.Host}:{baseAddress.Port}";
        _requests = [.. paths.Select(path => Encoding.ASCII.GetBytes(
            $"GET {_root}/{path.TrimStart('/')} HTTP/1.1\r\nHost: {_host}\r\n\r\n"))];
        _connections = [.. Enumerable.Range(0, connections).Select(_ => new LeanHttpConnection(endPoint))];
    }

    /// <summary>The connection of worker <paramref name="worker"/>: a closed loop uses one per worker, so none is shared.</summary>
    public LeanHttpConnection Connection(int worker) => _connections[worker];

    /// <summary>The encoded GET of the path at <paramref name="pathIndex"/> of those given to the constructor.</summary>
    public ReadOnlyMemory<byte> Request(int pathIndex) => _requests[pathIndex];

    /// <summary>An encoded POST of <paramref name="json"/> to <paramref name="path"/>.</summary>
    public byte[] Post(string path, string json)
    {
        var bodyLength = Encoding.UTF8.GetByteCount(json);
        var head = $"POST {_root}/{path.TrimStart('/')} HTTP/1.1\r\nHost: {_host}\r\nContent-Type: application/json\r\n"
            + $"Content-Length: {bodyLength}\r\n\r\n";
        var request = new byte[head.Length + bodyLength];
        var written = Encoding.ASCII.GetBytes(head, request);
        Encoding.UTF8.GetBytes(json, request.AsSpan(written));
        return request;
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
    }
}

/// <summary>
/// One keep-alive HTTP/1.1 connection, opened on first use and again after the server closes it. Not
/// thread-safe: one request at a time. Each response is read to its end before the call returns, so the
/// next request starts on a clean stream.
/// </summary>
public sealed class LeanHttpConnection(EndPoint endPoint) : IDisposable
{
    private const int MaxHeaderBytes = 1 << 20;

    // HttpClient's timeout in these benchmarks: a server that stops answering fails the request instead of hanging the run.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private Socket? _socket;

    // Bytes received and not yet consumed are _buffer[_start.._end]; between responses this is empty
    // unless the server sent more than one response's worth, which a client of one request at a time never asks for.
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    // One per connection, rearmed for each request and reset after it, so a request allocates no token source.
    private CancellationTokenSource _deadline = new();

    /// <summary>
    /// Sends <paramref name="request"/> (a complete request) and reads the whole response. If
    /// <paramref name="body"/> is given, the decoded body is written to it (for checks; the measured loop
    /// passes none). A request that fails before any byte of its answer on a reused connection (the server
    /// closed it while idle) is sent once more on a new one (safe for ClaimStore's POSTs too: a claim sent
    /// twice is stored once); other failures close the connection and throw.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<LeanHttpResponse> SendAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte>? body = null)
    {
        _deadline.CancelAfter(Timeout);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var reused = _socket is not null;
                var socket = _socket ??= await ConnectAsync(endPoint, _deadline.Token);
                var answered = false;
                try
                {
                    for (var sent = 0; sent < request.Length;)
                    {
                        sent += await socket.SendAsync(request[sent..], SocketFlags.None, _deadline.Token);
                    }

                    answered = await FillAsync(socket);
                    if (!answered)
                    {
                        throw new IOException("The server closed the connection before answering.");
                    }

                    return await ReadResponseAsync(socket, body);
                }
                catch (Exception ex) when (ex is IOException or SocketException)
                {
                    Close();
                    if (!reused || answered || attempt > 0)
                    {
                        throw;
                    }
                }
                catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
                {
                    Close();
                    throw new TimeoutException($"No complete answer within {Timeout.TotalSeconds} s.");
                }
                catch
                {
                    Close();
                    throw;
                }
            }
        }
        finally
        {
            // TryReset fails only once the timer has fired; that source is spent, so take a new one.
            if (!_deadline.TryReset())
            {
                _deadline.Dispose();
                _deadline = new CancellationTokenSource();
            }
        }
    }

    public void Dispose()
    {
        Close();
        _deadline.Dispose();
    }

    private static async ValueTask<Socket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LeanHttpResponse> ReadResponseAsync(Socket socket, IBufferWriter<byte>? body)
    {
        while (true)
        {
            var head = await ReadHeadAsync(socket);
            if (head.Status is >= 100 and < 200)
            {
                continue; // an interim answer (100 Continue and the like) is followed by the real one
            }

            long length;
            if (head.Status is 204 or 304)
            {
                length = 0;
            }
            else if (head.Chunked)
            {
                length = await ReadChunkedAsync(socket, body);
            }
            else if (head.ContentLength >= 0)
            {
                await ReadBodyAsync(socket, head.ContentLength, body);
                length = head.ContentLength;
            }
            else
            {
                // Neither a length nor chunks: the body runs to the end of the connection.
                length = await ReadToEndAsync(socket, body);
                Close();
                return new LeanHttpResponse(head.Status, length);
            }

            if (head.Close)
            {
                Close();
            }

            return new LeanHttpResponse(head.Status, length);
        }
    }

    /// <summary>Reads the status line and the headers up to the empty line, and consumes them.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Head> ReadHeadAsync(Socket socket)
    {
        var (start, length) = await ReadThroughAsync(socket, HeadEnd, "the headers");
        // The head's bytes stay in the buffer until the next read; ParseHead reads up to the empty line.
        return ParseHead(_buffer.AsSpan(start, length + HeadEnd.Length));
    }

    /// <summary>Consumes one CRLF-terminated line; returns where its content (without the CRLF) sits in the buffer, valid until the next read.</summary>
    private ValueTask<(int Start, int Length)> ReadLineAsync(Socket socket) => ReadThroughAsync(socket, LineEnd, "a line");

    /// <summary>
    /// Consumes everything up to and including <paramref name="terminator"/>; returns where the part before it
    /// sits in the buffer, valid until the next read.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Start, int Length)> ReadThroughAsync(Socket socket, byte[] terminator, string what)
    {
        var scanned = 0;
        while (true)
        {
            var end = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf(terminator);
            if (end >= 0)
            {
                var found = (_start, scanned + end);
                _start += scanned + end + terminator.Length;
                return found;
            }

            // Rescan the last bytes next time: the terminator may straddle two receives.
            scanned = Math.Max(0, _end - _start - (terminator.Length - 1));
            if (_end - _start >= MaxHeaderBytes)
            {
                throw new InvalidDataException($"In the response, {what} ran past {MaxHeaderBytes} bytes.");
            }

            if (!await FillAsync(socket))
            {
                throw new IOException($"The server closed the connection in the middle of {what}.");
            }
        }
    }

    private static Head ParseHead(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf(LineEnd);
        var statusLine = head[..lineEnd];

        // "HTTP/1.x SP 3DIGIT SP reason"; the reason may be empty (and its space missing).
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3
            || (statusLine.Length > 12 && statusLine[12] != (byte)' '))
        {
            throw new InvalidDataException($"Not an HTTP/1.x status line: '{Encoding.ASCII.GetString(statusLine)}'.");
        }

        var sawClose = false;
        var keepAlive = false;
        var chunked = false;
        long contentLength = -1;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            lineEnd = rest.IndexOf(LineEnd);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            if (line.IsEmpty)
            {
                break;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new InvalidDataException($"Not a header line: '{Encoding.ASCII.GetString(line)}'.");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long parsed, out consumed) || consumed != value.Length || parsed < 0
                    || (contentLength >= 0 && parsed != contentLength))
                {
                    throw new InvalidDataException($"Bad Content-Length: '{Encoding.ASCII.GetString(value)}'.");
                }

                contentLength = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Chunked, if present, is the last coding; it is the only one this client decodes.
                var last = LastToken(value);
                if (Ascii.EqualsIgnoreCase(last, "chunked"u8))
                {
                    chunked = true;
                }
                else
                {
                    throw new InvalidDataException($"Unsupported Transfer-Encoding: '{Encoding.ASCII.GetString(value)}'.");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                sawClose |= HasToken(value, "close"u8);
                keepAlive |= HasToken(value, "keep-alive"u8);
            }
        }

        // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes it unless told to keep it.
        var close = sawClose || (statusLine[7] == (byte)'0' && !keepAlive);

        // With both, chunked wins and the length is to be ignored (RFC 9112, 6.3).
        return new Head(status, chunked ? -1 : contentLength, chunked, close);
    }

    private static bool HasToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var range in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(list[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> LastToken(ReadOnlySpan<byte> list)
    {
        var comma = list.LastIndexOf((byte)',');
        return (comma < 0 ? list : list[(comma + 1)..]).Trim(" \t"u8);
    }

    /// <summary>Consumes exactly <paramref name="length"/> body bytes, from the buffer first, then from the socket.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadBodyAsync(Socket socket, long length, IBufferWriter<byte>? body)
    {
        while (true)
        {
            var take = (int)Math.Min(length, _end - _start);
            body?.Write(_buffer.AsSpan(_start, take));
            _start += take;
            length -= take;
            if (length == 0)
            {
                return;
            }

            if (!await FillAsync(socket))
            {
                throw new IOException($"The server closed the connection with {length} bytes of the body missing.");
            }
        }
    }

    /// <summary>Decodes a chunked body: size lines in hex (extensions ignored), data and CRLF, then the last chunk and trailers.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReadChunkedAsync(Socket socket, IBufferWriter<byte>? body)
    {
        long total = 0;
        while (true)
        {
            var sizeLine = await ReadLineAsync(socket);
            var line = _buffer.AsSpan(sizeLine.Start, sizeLine.Length);
            var semicolon = line.IndexOf((byte)';');
            var digits = (semicolon < 0 ? line : line[..semicolon]).Trim(" \t"u8);
            if (digits.IsEmpty || !Utf8Parser.TryParse(digits, out long size, out var consumed, 'x') || consumed != digits.Length || size < 0)
            {
                throw new InvalidDataException($"Bad chunk size line: '{Encoding.ASCII.GetString(line)}'.");
            }

            if (size == 0)
            {
                // Trailer fields, if any, up to the empty line that ends the message.
                while ((await ReadLineAsync(socket)).Length > 0)
                {
                }

                return total;
            }

            await ReadBodyAsync(socket, size, body);
            total += size;
            var end = await ReadLineAsync(socket);
            if (end.Length != 0)
            {
                throw new InvalidDataException("A chunk's data is not followed by CRLF.");
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReadToEndAsync(Socket socket, IBufferWriter<byte>? body)
    {
        long total = 0;
        do
        {
            body?.Write(_buffer.AsSpan(_start, _end - _start));
            total += _end - _start;
            _start = _end;
        }
        while (await FillAsync(socket));

        return total;
    }

    /// <summary>
    /// Receives more bytes after those not yet consumed: moves them to the front when the buffer's tail
    /// is full, and doubles the buffer when they fill all of it. False when the server has closed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(Socket socket)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, _deadline.Token);
        _end += received;
        return received > 0;
    }

    private readonly record struct Head(int Status, long ContentLength, bool Chunked, bool Close);
}
