// The console's one QueryClient, shared by React (main.tsx) and by code outside it (the
// live connection re-reads the user's organizations when a membership ends).
import { QueryClient } from '@tanstack/react-query';
import { ApiProblem } from './problem';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      retry: (count, error) => {
        if (error instanceof ApiProblem && error.status >= 400 && error.status < 500 && error.status !== 429) return false;
        return count < 2;
      },
    },
  },
});
