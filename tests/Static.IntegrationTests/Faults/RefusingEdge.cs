using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Static.IntegrationTests.Faults;

/// <summary>
/// A CDN that refuses every invalidation for good: an HTTP endpoint on loopback answering every request
/// (PURGE included) 403 Forbidden, counting them.
/// </summary>
internal sealed class RefusingEdge : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int requests;

    private RefusingEdge()
    {
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    public int Requests => Volatile.Read(ref requests);

    public static RefusingEdge Start() => new();

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var seen = new StringBuilder();
                    while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer);
                        if (n == 0)
                        {
                            return;
                        }

                        seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }

                    Interlocked.Increment(ref requests);
                    await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop;
        stop.Dispose();
    }
}
