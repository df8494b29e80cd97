/** `npm run migrate`: applies pending migrations to DATABASE_URL (needs nothing else from the environment). */
import { migrate } from '../db/migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (npm start migrates its local database by itself)');
  process.exit(1);
}
const applied = await migrate(url);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
