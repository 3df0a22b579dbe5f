// Parse JS SDK saves, relations and destroys against `querylang serve`; prints what it saw.
// Usage: node sdk_writes.js SERVER_URL APP_ID MASTER_KEY
const Parse = require('parse/node');

const [serverURL, appId, masterKey] = process.argv.slice(2);
Parse.initialize(appId, undefined, masterKey);
Parse.serverURL = serverURL;
// The sample's class is named User: stop the SDK from rewriting it to Parse's _User.
Parse.User.allowCustomUserClass(true);
Parse.Cloud.useMasterKey(); // writes need the master key on this server

async function main() {
  const out = {};
  const Post = Parse.Object.extend('Post');
  const User = Parse.Object.extend('User');

  const p = new Post();
  p.set('title', 'from the sdk');
  p.set('score', 5);
  p.set('tags', ['a']);
  p.set('author', User.createWithoutData('u01'));
  p.set('publishedAt', new Date('2025-03-04T05:06:07.000Z'));
  p.set('location', new Parse.GeoPoint(10, 20));
  await p.save();
  out.created = p.id;
  out.createdAt = p.createdAt.toISOString();

  p.increment('score', 2);
  p.addUnique('tags', 'b');
  p.set('title', 'edited');
  await p.save();
  out.afterSave = { score: p.get('score'), tags: p.get('tags') };

  const group = await new Parse.Query('Group').get('g1');
  group.relation('posts').add(p);
  await group.save();
  out.inRelation = await group.relation('posts').query().equalTo('objectId', p.id).count();

  group.relation('posts').remove(p);
  await group.save();
  out.afterRemove = await group.relation('posts').query().equalTo('objectId', p.id).count();

  // saveAll goes through /batch
  const batch = [1, 2, 3].map((i) => {
    const u = new User();
    u.set('name', `sdk user ${i}`);
    u.set('age', 20 + i);
    return u;
  });
  await Parse.Object.saveAll(batch);
  out.batch = batch.map((u) => u.id);

  const fetched = await new Parse.Query('Post').get(p.id);
  out.fetched = { title: fetched.get('title'), score: fetched.get('score'), author: fetched.get('author').id,
                  publishedAt: fetched.get('publishedAt').toISOString(), lat: fetched.get('location').latitude };

  await p.destroy();
  try {
    await new Parse.Query('Post').get(p.id);
    out.afterDestroy = null;
  } catch (e) {
    out.afterDestroy = e.code;
  }
  await Parse.Object.destroyAll(batch);

  try {
    const bad = new Post();
    bad.set('score', 'high');
    await bad.save();
    out.badSave = null;
  } catch (e) {
    out.badSave = e.code;
  }
  // Parse.Config: saved with one master-only parameter, read as a client and with the master key.
  const launch = new Date('2025-01-02T03:04:05.000Z');
  const saved = await Parse.Config.save({ greeting: 'hi', launch, secret: 's3' }, { secret: true });
  const asClient = await Parse.Config.get({ useMasterKey: false });
  out.config = { greeting: asClient.get('greeting'), launch: asClient.get('launch').toISOString(),
                 secret: asClient.get('secret') ?? null, masterSecret: saved.get('secret') };
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
