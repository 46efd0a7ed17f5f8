namespace ClaimStore.Domain.Claims;

/// <summary>Whether the speaker holds the proposition true or false.</summary>
public enum Stance
{
    Affirms,
    Denies,
}

/// <summary>The speech act by which the claim was made (the contract's <c>kind</c>).</summary>
public enum SpeechAct
{
    Assertion,
    Accusation,
    Denial,
    Warning,
    Report,
    Estimate,
    Promise,
    Prediction,
}

/// <summary>How firmly the speaker put it: "will" is certain, "may destabilise" is possible.</summary>
public enum Certainty
{
    Certain,
    Probable,
    Possible,
}
