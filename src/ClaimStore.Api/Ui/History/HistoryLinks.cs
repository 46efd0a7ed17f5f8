using System.Globalization;

namespace ClaimStore.Api.Ui.History;

internal static class HistoryLinks
{
    public static string At(long afterSequence, long? step) =>
        string.Create(CultureInfo.InvariantCulture, $"{WorkbenchRoutes.History}?afterSequence={afterSequence}")
        + (step is { } s ? string.Create(CultureInfo.InvariantCulture, $"&step={s}#replay") : "");
}
