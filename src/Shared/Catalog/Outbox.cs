namespace Static.Shared.Catalog;

/// <summary>The outbox's wake-up channel: the Api NOTIFYs it when an admin write commits; the publisher LISTENs.</summary>
public static class Outbox
{
    public const string Channel = "static_outbox";
}
