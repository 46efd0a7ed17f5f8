using ClaimStore.Api.Hosting;
using ClaimStore.Api.Operations;

if (OperatorCommands.Handles(args))
{
    return await OperatorCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddClaimStoreDatabase();
builder.AddClaimStoreSilo();
builder.Services.AddClaimStoreApi();

var app = builder.Build();
app.UseClaimStoreApi();
await app.RunAsync();
return 0;
