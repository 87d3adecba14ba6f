/** Teams as the API shows them: who belongs, in which role, and where the membership came from. */
import { z } from 'zod';

export const teamMemberView = z.object({ name: z.string(), role: z.string(), origin: z.string() });
export type TeamMemberView = z.infer<typeof teamMemberView>;

export const teamView = z.object({
  name: z.string(),
  description: z.string().nullable(),
  members: z.array(teamMemberView),
});
export type TeamView = z.infer<typeof teamView>;

/** `GET /api/v1/teams`. */
export const teamsResponse = z.object({ teams: z.array(teamView) });
export type TeamsResponse = z.infer<typeof teamsResponse>;
